import { Type } from 'typebox';
import { LinliError } from '../../errors.js';
import { periodKeys } from '../../points/catalogue.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const Period = Type.String({ pattern: '^\\d{4}(-\\d{2}|-Q[1-4])?$' });

/** Party-member points: items, sessions (staff), deductions (admin), rankings and their CSV. */
export async function pointsRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users } = deps;
  const points = () => {
    if (!deps.points) throw new LinliError('INTERNAL', 'points are not running');
    return deps.points;
  };
  /** Members: residents holding an active party card. */
  const members = () => [
    ...new Set(
      deps.cards
        .list()
        .filter((c) => c.kind === 'party' && c.state === 'active')
        .map((c) => c.residentId),
    ),
  ];
  const nameOf = (id: string) => deps.state.data.residents.find((r) => r.id === id)?.name ?? id;
  const ranking = (period?: string) => {
    const p = period ?? periodKeys(new Date().toISOString(), deps.config.tz).month;
    return {
      period: p,
      rows: points()
        .ledger.ranking(p, members())
        .map((r) => ({ ...r, name: nameOf(r.residentId) })),
    };
  };

  app.get(
    '/api/points/items',
    { schema: { tags: ['points'] }, preHandler: requireRole(users, 'viewer') },
    async () => points().items,
  );
  app.get(
    '/api/points/sessions',
    { schema: { tags: ['points'] }, preHandler: requireRole(users, 'staff') },
    async () => points().sessions(),
  );
  app.post(
    '/api/points/sessions',
    {
      schema: {
        tags: ['points'],
        body: Type.Object(
          {
            itemId: Type.String({ maxLength: 40 }),
            readers: Type.Array(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }), {
              minItems: 1,
              maxItems: 20,
            }),
          },
          { additionalProperties: false },
        ),
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req, reply) => {
      for (const r of req.body.readers) {
        if (deps.registry.get(r)?.type !== 'card-reader')
          throw new LinliError('POINTS_INVALID', `${r} is not a registered card reader`);
      }
      return reply
        .status(201)
        .send(await points().openSession(req.body.itemId, req.body.readers, req.session?.username ?? '?'));
    },
  );
  app.post(
    '/api/points/sessions/:id/close',
    {
      schema: { tags: ['points'], params: Type.Object({ id: Type.String({ maxLength: 40 }) }) },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => points().closeSession(req.params.id, req.session?.username ?? '?'),
  );
  app.post(
    '/api/points/deductions',
    {
      schema: {
        tags: ['points'],
        body: Type.Object(
          {
            residentId: Type.String({ maxLength: 64 }),
            itemId: Type.String({ maxLength: 40 }),
            reason: Type.String({ minLength: 2, maxLength: 500 }),
          },
          { additionalProperties: false },
        ),
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => {
      if (!deps.state.data.residents.some((r) => r.id === req.body.residentId))
        throw new LinliError('NOT_FOUND', 'no such resident');
      await points().deduct(
        req.body.residentId,
        req.body.itemId,
        req.body.reason,
        req.session?.username ?? '?',
      );
      return reply.status(204).send();
    },
  );
  app.get(
    '/api/points/ranking',
    {
      schema: { tags: ['points'], querystring: Type.Object({ period: Type.Optional(Period) }) },
      preHandler: requireRole(users, 'viewer'),
    },
    async (req) => ranking(req.query.period),
  );
  app.get(
    '/api/points/ranking.csv',
    {
      schema: {
        tags: ['points'],
        description: "A period's ranking as CSV (UTF-8 with BOM, so Excel in China opens it).",
        querystring: Type.Object({ period: Type.Optional(Period) }),
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req, reply) => {
      const r = ranking(req.query.period);
      const cell = (v: string | number) =>
        /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
      const lines = [
        '排名,姓名,居民编号,积分',
        ...r.rows.map((x) => [x.rank, x.name, x.residentId, x.points].map(cell).join(',')),
      ];
      reply.header('content-disposition', `attachment; filename="ranking-${r.period}.csv"`);
      return reply.type('text/csv; charset=utf-8').send(`\ufeff${lines.join('\r\n')}\r\n`);
    },
  );
}
