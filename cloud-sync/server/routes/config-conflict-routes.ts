/**
 * Conflicts on the cloud's admin side (docs/config-sync.md), staff and up:
 * - `GET  /api/v1/houses/{house}/config/conflicts[?all=1&limit=n]` → `{conflicts}` newest first
 *   (open ones; with `all=1` dismissed ones too)
 * - `POST /api/v1/houses/{house}/config/conflicts/{edit}/dismiss` → `{conflict}` (who and when kept)
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { serverTime } from '../../protocol/signing.js';
import type { CloudContext, CloudRole, CloudUser } from '../cloud-context.js';
import { dismissConflict, listConflicts } from '../config-conflicts.js';

type Guard = (
  req: FastifyRequest<{ Params: { house: string } }>,
  reply: FastifyReply,
  role: CloudRole,
) => Promise<CloudUser | undefined>;

export function configConflictRoutes(ctx: CloudContext, guard: Guard): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { house: string }; Querystring: { all?: string; limit?: number } }>(
      '/api/v1/houses/:house/config/conflicts',
      {
        schema: {
          querystring: Type.Object(
            {
              all: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        if (!(await guard(req, reply, 'staff'))) return reply;
        const conflicts = await listConflicts(ctx.db, req.params.house, {
          all: req.query.all === '1',
          limit: req.query.limit ?? 200,
        });
        return { serverTime: serverTime(ctx.now()), conflicts };
      },
    );

    app.post<{ Params: { house: string; edit: string } }>(
      '/api/v1/houses/:house/config/conflicts/:edit/dismiss',
      async (req, reply) => {
        const user = await guard(req, reply, 'staff');
        if (!user) return reply;
        const nowIso = serverTime(ctx.now());
        const conflict = await dismissConflict(
          ctx.db,
          req.params.house,
          req.params.edit,
          `cloud:${user.username}`,
          nowIso,
        );
        if (!conflict) return ctx.refuse(reply, 404, 'conflict-not-found', 'no such conflict in this house');
        req.log.info(
          { house: req.params.house, edit: conflict.edit, by: user.username },
          'conflict dismissed',
        );
        return { serverTime: nowIso, conflict };
      },
    );
  };
}
