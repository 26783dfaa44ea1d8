import { Type } from 'typebox';
import { auditOf } from '../../config-sync/track-edit.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses, RoleSchema } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const UserView = Type.Object({ username: Type.String(), role: RoleSchema, createdAt: Type.String() });

/** Users of the admin pages (admin only). */
export async function userRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users } = deps;
  app.get(
    '/api/users',
    {
      schema: { tags: ['users'], response: { 200: Type.Array(UserView), ...errorResponses } },
      preHandler: requireRole(users, 'admin'),
    },
    async () => users.list().map((u) => ({ username: u.username, role: u.role, createdAt: u.createdAt })),
  );
  app.post(
    '/api/users',
    {
      schema: {
        tags: ['users'],
        body: Type.Object(
          {
            username: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
            role: RoleSchema,
            password: Type.String({ minLength: 8, maxLength: 256 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: UserView, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => {
      const by = req.session?.username ?? '?';
      const { row, tracked } = await users.create(req.body.username, req.body.role, req.body.password, by);
      await deps.records.append('registry', 'user.created', {
        entity: 'user',
        id: row.username,
        role: row.role,
        by,
        ...auditOf(tracked),
      });
      req.log.info({ username: row.username, role: row.role, by }, 'user created');
      return reply.status(201).send({ username: row.username, role: row.role, createdAt: row.createdAt });
    },
  );
}
