import { Type } from 'typebox';
import { CONFIG_KINDS, type ConfigKind } from '../../../cloud-sync/protocol/config.js';
import { LinliError } from '../../errors.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const Kind = Type.Unsafe<ConfigKind>({ type: 'string', enum: [...CONFIG_KINDS] });
const Time = Type.Union([Type.String(), Type.Null()]);
const StatusSchema = Type.Object({
  enabled: Type.Boolean(),
  version: Type.Integer(),
  appliedAt: Time,
  lastPullAt: Time,
  lastPushAt: Time,
  lastError: Type.Union([
    Type.Object({ code: Type.String(), message: Type.String(), at: Type.String() }),
    Type.Null(),
  ]),
  pendingEdits: Type.Integer(),
  openConflicts: Type.Integer(),
  rejected: Type.Integer(),
  running: Type.Boolean(),
  pointsProblem: Type.Optional(Type.String()),
});
const Common = {
  edit: Type.String(),
  kind: Kind,
  id: Type.String(),
  base: Type.Integer(),
  at: Type.String(),
  by: Type.String(),
  detectedAt: Type.String(),
};
const ConflictSchema = Type.Object({
  ...Common,
  cloudVersion: Type.Integer(),
  fields: Type.Array(Type.String()),
});
const RejectedSchema = Type.Object({ ...Common, reason: Type.String() });
const EditParams = Type.Object({
  edit: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
});

/**
 * The config sync on the admin page: its status, the conflicts (edge edits the cloud's version won
 * over: entity, field names, when, by) and the edits the cloud refused. Viewers read; admins dismiss.
 */
export async function configSyncRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users, configSync, records } = deps;
  app.get(
    '/api/config-sync',
    {
      schema: {
        tags: ['config-sync'],
        description: 'Config sync with the cloud: bundle version, last pull, edits pending, conflicts.',
        response: { 200: StatusSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'viewer'),
    },
    async () => configSync.status(),
  );
  app.get(
    '/api/config-sync/conflicts',
    {
      schema: {
        tags: ['config-sync'],
        description: 'Edge edits the cloud had changed meanwhile: the cloud’s version won. Newest first.',
        response: { 200: Type.Array(ConflictSchema), ...errorResponses },
      },
      preHandler: requireRole(users, 'viewer'),
    },
    async () => [...configSync.store.conflicts()].reverse(),
  );
  app.get(
    '/api/config-sync/rejected',
    {
      schema: {
        tags: ['config-sync'],
        description:
          'Edge edits the cloud refused (the edge keeps its value), with the reason. Newest first.',
        response: { 200: Type.Array(RejectedSchema), ...errorResponses },
      },
      preHandler: requireRole(users, 'viewer'),
    },
    async () => [...configSync.store.rejected()].reverse(),
  );
  for (const list of ['conflicts', 'rejected'] as const) {
    app.delete(
      `/api/config-sync/${list}/:edit`,
      {
        schema: {
          tags: ['config-sync'],
          params: EditParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
        preHandler: requireRole(users, 'admin'),
      },
      async (req, reply) => {
        const { edit } = req.params;
        const found =
          list === 'conflicts'
            ? configSync.store.conflicts().find((c) => c.edit === edit)
            : configSync.store.rejected().find((c) => c.edit === edit);
        const gone =
          found &&
          (list === 'conflicts'
            ? await configSync.store.dismissConflict(edit)
            : await configSync.store.dismissRejected(edit));
        if (!found || !gone)
          throw new LinliError(
            'NOT_FOUND',
            `no ${list === 'conflicts' ? 'conflict' : 'rejected edit'} ${edit}`,
          );
        const by = req.session?.username ?? '?';
        await records.append('registry', 'config.dismissed', {
          list,
          edit,
          entity: found.kind,
          id: found.id,
          by,
        });
        req.log.info({ list, edit, kind: found.kind, by }, 'config sync problem dismissed');
        return reply.status(204).send(null);
      },
    );
  }
}
