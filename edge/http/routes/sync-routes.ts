import { type Static, Type } from 'typebox';
import { LinliError } from '../../errors.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const DeadLetterSchema = Type.Object({
  id: Type.String(),
  stream: Type.String(),
  seq: Type.Integer(),
  reason: Type.String(),
  message: Type.String(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  attempts: Type.Integer(),
});

export const SyncViewSchema = Type.Object({
  enabled: Type.Boolean(),
  cloudUrl: Type.Optional(Type.String()),
  clock: Type.Object({
    state: Type.Union([Type.Literal('synced'), Type.Literal('unsynced')]),
    offsetMs: Type.Number(),
  }),
  streams: Type.Record(
    Type.String(),
    Type.Object({
      lastSeq: Type.Integer(),
      cursor: Type.Integer(),
      backlog: Type.Integer(),
      oldestUnsyncedAgeMs: Nullable(Type.Number()),
    }),
  ),
  backlog: Type.Integer(),
  lastSuccessAt: Nullable(Type.String()),
  lastError: Nullable(
    Type.Object({
      code: Type.String(),
      status: Type.Optional(Type.Integer()),
      message: Type.String(),
      at: Type.String(),
    }),
  ),
  consecutiveFailures: Type.Integer(),
  running: Type.Boolean(),
  deadLetters: Type.Array(DeadLetterSchema),
  journal: Type.Object({
    firstLsn: Type.Integer(),
    lastLsn: Type.Integer(),
    segments: Type.Integer(),
    bytes: Type.Integer(),
  }),
  retention: Type.Object({
    days: Type.Integer(),
    minFreeBytes: Type.Integer(),
    lastRun: Nullable(
      Type.Object({
        at: Type.String(),
        deleted: Type.Integer(),
        dropped: Type.Integer(),
        droppedRecords: Type.Integer(),
        freeBytes: Nullable(Type.Number()),
      }),
    ),
    lastError: Nullable(Type.String()),
    droppedPending: Type.Integer(),
  }),
});

const RetryBody = Type.Object(
  { ids: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-f-]{36}$' }), { maxItems: 1000 })) },
  { additionalProperties: false },
);

/**
 * The house's sync with the cloud (DESIGN.md: `GET /api/sync`): backlog per stream, oldest
 * unsynced age, last success and error, dead letters; staff may retry dead letters and ask for a
 * round now, an admin may run retention now.
 */
export async function syncRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users } = deps;
  const sync = () => {
    if (!deps.sync) throw new LinliError('SYNC_OFF', 'sync is not part of this edge');
    return deps.sync;
  };
  app.get(
    '/api/sync',
    {
      schema: { tags: ['sync'], response: { 200: SyncViewSchema, ...errorResponses } },
      preHandler: requireRole(users, 'viewer'),
    },
    async () => sync().view(),
  );
  app.post<{ Body: Static<typeof RetryBody> }>(
    '/api/sync/dead-letters/retry',
    {
      schema: {
        tags: ['sync'],
        body: RetryBody,
        response: {
          200: Type.Object({ accepted: Type.Integer(), remaining: Type.Integer() }),
          ...errorResponses,
        },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => {
      const s = sync();
      if (!s.enabled) throw new LinliError('SYNC_OFF', 'this edge works alone (LINLI_CLOUD_URL is unset)');
      req.log.info({ ids: req.body.ids?.length ?? 'all', by: req.session?.username }, 'dead letters retried');
      return await s.retry(req.body.ids);
    },
  );
  app.post(
    '/api/sync/now',
    {
      schema: { tags: ['sync'], response: { 202: Type.Object({ ok: Type.Boolean() }), ...errorResponses } },
      preHandler: requireRole(users, 'staff'),
    },
    async (_req, reply) => {
      const s = sync();
      if (!s.enabled) throw new LinliError('SYNC_OFF', 'this edge works alone (LINLI_CLOUD_URL is unset)');
      s.syncNow();
      return reply.status(202).send({ ok: true });
    },
  );
  app.post(
    '/api/sync/retention',
    {
      schema: {
        tags: ['sync'],
        response: {
          200: Type.Object({
            deleted: Type.Integer(),
            dropped: Type.Integer(),
            droppedRecords: Type.Integer(),
            freeBytes: Nullable(Type.Number()),
          }),
          ...errorResponses,
        },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async () => sync().runRetention(),
  );
}
