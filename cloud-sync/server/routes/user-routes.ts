/**
 * Cloud user management (admin only; DESIGN.md "Users and roles"):
 *
 * - `GET /api/users` → `{users: [{username, role, disabled, createdAt, updatedAt}], serverTime}`
 * - `POST /api/users` `{username, role, password}` → 201 `{user, serverTime}`; 409 `user-exists`
 * - `PATCH /api/users/{username}` `{role?, disabled?}` → `{user, serverTime}`; 404 `user-unknown`;
 *   409 `user-last-admin` (the last enabled admin stays). Disabling ends the user's sessions.
 * - `POST /api/users/{username}/password` `{password}` → `{user, serverTime}`; the user's sessions end.
 *
 * 400 `user-invalid`: a name outside `[A-Za-z0-9._-]{1,64}` or a password outside 12–1024 characters.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { type Static, Type } from 'typebox';
import { serverTime } from '../../protocol/signing.js';
import type { CloudContext } from '../cloud-context.js';
import {
  createUser,
  listUsers,
  MAX_PASSWORD,
  resetPassword,
  UserError,
  updateUser,
} from '../users/user-store.js';

export const USERS_PATH = '/api/users';

const Role = Type.Union([Type.Literal('admin'), Type.Literal('staff'), Type.Literal('viewer')]);
const Username = Type.String({ minLength: 1, maxLength: 64 });
const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD });
const NewUser = Type.Object(
  { username: Username, role: Role, password: Password },
  { additionalProperties: false },
);
const Change = Type.Object(
  { role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
const NewPassword = Type.Object({ password: Password }, { additionalProperties: false });
const Params = Type.Object({ username: Username });

const STATUS: Record<UserError['code'], number> = {
  'user-exists': 409,
  'user-unknown': 404,
  'user-invalid': 400,
  'user-last-admin': 409,
};

export function userRoutes(ctx: CloudContext): FastifyPluginAsync {
  const answerError = (reply: FastifyReply, err: unknown) => {
    if (err instanceof UserError) return ctx.refuse(reply, STATUS[err.code], err.code, err.message);
    throw err;
  };
  const now = () => serverTime(ctx.now());
  return async (app) => {
    app.get(USERS_PATH, async (req, reply) => {
      if (!(await ctx.requireUser(req, reply, 'admin'))) return reply;
      return { users: await listUsers(ctx.db), serverTime: now() };
    });

    app.post<{ Body: Static<typeof NewUser> }>(
      USERS_PATH,
      { schema: { body: NewUser } },
      async (req, reply) => {
        const admin = await ctx.requireUser(req, reply, 'admin');
        if (!admin) return reply;
        try {
          const user = await createUser(ctx.db, req.body);
          req.log.info({ by: admin.username, username: user.username, role: user.role }, 'user created');
          return reply.status(201).send({ user, serverTime: now() });
        } catch (err) {
          return answerError(reply, err);
        }
      },
    );

    app.patch<{ Params: Static<typeof Params>; Body: Static<typeof Change> }>(
      `${USERS_PATH}/:username`,
      { schema: { params: Params, body: Change } },
      async (req, reply) => {
        const admin = await ctx.requireUser(req, reply, 'admin');
        if (!admin) return reply;
        try {
          const user = await updateUser(ctx.db, req.params.username, req.body);
          req.log.info({ by: admin.username, username: user.username, ...req.body }, 'user changed');
          return { user, serverTime: now() };
        } catch (err) {
          return answerError(reply, err);
        }
      },
    );

    app.post<{ Params: Static<typeof Params>; Body: Static<typeof NewPassword> }>(
      `${USERS_PATH}/:username/password`,
      { schema: { params: Params, body: NewPassword } },
      async (req, reply) => {
        const admin = await ctx.requireUser(req, reply, 'admin');
        if (!admin) return reply;
        try {
          const user = await resetPassword(ctx.db, req.params.username, req.body.password);
          req.log.info({ by: admin.username, username: user.username }, 'password reset');
          return { user, serverTime: now() };
        } catch (err) {
          return answerError(reply, err);
        }
      },
    );
  };
}
