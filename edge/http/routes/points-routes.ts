import { Type } from 'typebox';
import type {
  AssessmentDetail,
  AssessmentPreview,
  AssessmentSummary,
  GoodsView,
  MemberDetailView,
  MemberRow,
  RankingView,
  RedemptionView,
  SchemeView,
  SessionView,
} from '../../api/types.js';
import { LinliError } from '../../errors.js';
import { AssessmentSchema, periodKeys } from '../../points/catalogue.js';
import { partyMembers } from '../../points/members.js';
import type { Assessment, PointsSession } from '../../points/points-types.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import type { TypedApp } from '../typed-app.js';

const Period = Type.String({ pattern: '^\\d{4}(-\\d{2}|-Q[1-4])?$' });
const Quarter = Type.String({ pattern: '^\\d{4}-Q[1-4]$' });
const RefId = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });
const Reason = Type.String({ minLength: 2, maxLength: 500 });
const By = Type.Optional(Type.Union([Type.Literal('branch'), Type.Literal('community')]));

/** A CSV cell: quoted when needed, and never read by a spreadsheet as a formula (=, +, -, @). */
export function csvCell(v: string | number): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Party-member points: the scheme, sessions (staff), deductions (admin), the points supermarket
 * (stock, redemptions, reversals), rankings and their CSV, quarterly assessments and their flags.
 */
export async function pointsRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users } = deps;
  const points = () => {
    if (!deps.points) throw new LinliError('INTERNAL', 'points are not running');
    return deps.points;
  };
  const members = () => partyMembers(deps.state.data);
  const resident = (id: string) => {
    const r = deps.state.data.residents.find((x) => x.id === id);
    if (!r) throw new LinliError('NOT_FOUND', 'no such resident');
    return r;
  };
  // Names by id, rebuilt only when the residents change (an update replaces the array).
  let index: { of: unknown; names: Map<string, string> } = { of: undefined, names: new Map() };
  const nameOf = (id: string) => {
    const residents = deps.state.data.residents;
    if (index.of !== residents)
      index = { of: residents, names: new Map(residents.map((r) => [r.id, r.name])) };
    return index.names.get(id) ?? id;
  };
  const by = (req: { session?: { username: string } }) => req.session?.username ?? '?';
  const thisMonth = () => periodKeys(new Date().toISOString(), deps.config.tz).month;
  const ranking = (period: string | undefined, group: 'branch' | 'community' | undefined): RankingView => {
    const p = period ?? thisMonth();
    return {
      period: p,
      ...(group ? { by: group } : {}),
      rows: points()
        .ledger.ranking(p, members(), group)
        .map((r) => ({ ...r, name: nameOf(r.residentId) })),
    };
  };
  const goodsView = (): GoodsView[] =>
    points().scheme.goods.map((g) => ({ ...g, stock: points().ledger.stock(g.id) }));

  app.get(
    '/api/points/items',
    { schema: { tags: ['points'] }, preHandler: requireRole(users, 'viewer') },
    async () => points().items,
  );
  app.get(
    '/api/points/scheme',
    {
      schema: {
        tags: ['points'],
        description: 'Items, goods with stock, what is redeemable, roll-over rule, flags.',
      },
      preHandler: requireRole(users, 'viewer'),
    },
    async (): Promise<SchemeView> => {
      const s = points().scheme;
      return { ...s, goods: goodsView() };
    },
  );

  // Sessions
  const sessionView = (s: PointsSession): SessionView => ({
    ...s,
    item: points().items.find((i) => i.id === s.itemId)?.name ?? s.itemId,
    credited: s.credited.map((id) => ({ residentId: id, name: nameOf(id) })),
  });
  app.get(
    '/api/points/sessions',
    {
      schema: { tags: ['points'], querystring: Type.Object({ open: Type.Optional(Type.Boolean()) }) },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) =>
      points()
        .sessions()
        .filter((s) => req.query.open === undefined || req.query.open === !s.closedAt)
        .slice(-200)
        .map(sessionView),
  );
  app.get(
    '/api/points/sessions/:id',
    {
      schema: { tags: ['points'], params: Type.Object({ id: RefId }) },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => {
      const s = points().ledger.session(req.params.id);
      if (!s) throw new LinliError('NOT_FOUND', 'no such session');
      return sessionView(s);
    },
  );
  app.post(
    '/api/points/sessions',
    {
      schema: {
        tags: ['points'],
        body: Type.Object(
          {
            itemId: Type.String({ maxLength: 40 }),
            readers: Type.Array(RefId, { minItems: 1, maxItems: 20 }),
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
      const s = await points().openSession(req.body.itemId, req.body.readers, by(req));
      return reply.status(201).send(sessionView(s));
    },
  );
  app.post(
    '/api/points/sessions/:id/close',
    {
      schema: { tags: ['points'], params: Type.Object({ id: RefId }) },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => sessionView(await points().closeSession(req.params.id, by(req))),
  );

  // Deductions
  app.post(
    '/api/points/deductions',
    {
      schema: {
        tags: ['points'],
        body: Type.Object(
          { residentId: RefId, itemId: Type.String({ maxLength: 40 }), reason: Reason },
          { additionalProperties: false },
        ),
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => {
      resident(req.body.residentId);
      await points().deduct(req.body.residentId, req.body.itemId, req.body.reason, by(req));
      return reply.status(204).send();
    },
  );

  // A member's points
  app.get(
    '/api/points/members',
    { schema: { tags: ['points'] }, preHandler: requireRole(users, 'staff') },
    async (): Promise<MemberRow[]> =>
      members().map((m) => ({
        ...m,
        name: nameOf(m.id),
        pointsThisMonth: points().ledger.total(m.id, thisMonth()),
        balance: points().balance(m.id),
      })),
  );
  app.get(
    '/api/points/members/:id',
    {
      schema: { tags: ['points'], params: Type.Object({ id: RefId }) },
      preHandler: requireRole(users, 'staff'),
    },
    async (req): Promise<MemberDetailView> => {
      const r = resident(req.params.id);
      const p = points();
      return {
        residentId: r.id,
        name: r.name,
        ...p.summary(r.id, members()),
        history: p.ledger.recentFor(r.id, 8),
        flags: p.ledger.flagHistory(r.id).map((f) => ({ ...f, label: p.flagLabel(f.flag) })),
      };
    },
  );

  // The points supermarket
  app.get(
    '/api/points/goods',
    { schema: { tags: ['points'] }, preHandler: requireRole(users, 'viewer') },
    async () => goodsView(),
  );
  app.post(
    '/api/points/goods/:id/stock',
    {
      schema: {
        tags: ['points'],
        description: 'Goods received (qty > 0) or written off (qty < 0); stock never goes below zero.',
        params: Type.Object({ id: RefId }),
        body: Type.Object(
          {
            qty: Type.Integer({ minimum: -10000, maximum: 10000 }),
            note: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => ({
      goodsId: req.params.id,
      stock: await points().restock(req.params.id, req.body.qty, by(req), req.body.note),
    }),
  );
  app.get(
    '/api/points/redemptions',
    {
      schema: { tags: ['points'], querystring: Type.Object({ residentId: Type.Optional(RefId) }) },
      preHandler: requireRole(users, 'staff'),
    },
    async (req): Promise<RedemptionView[]> =>
      Object.values(points().ledger.state.redemptions)
        .filter((r) => !req.query.residentId || r.residentId === req.query.residentId)
        .slice(-500)
        .reverse()
        .map((r) => ({ ...r, name: nameOf(r.residentId), goods: points().goods(r.goodsId).name })),
  );
  app.post(
    '/api/points/redemptions',
    {
      schema: {
        tags: ['points'],
        body: Type.Object(
          {
            residentId: RefId,
            goodsId: RefId,
            qty: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          },
          { additionalProperties: false },
        ),
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req, reply) => {
      resident(req.body.residentId);
      const r = await points().redeem(req.body.residentId, req.body.goodsId, req.body.qty ?? 1, by(req));
      return reply.status(201).send({ ...r, balance: points().balance(r.residentId) });
    },
  );
  app.post(
    '/api/points/redemptions/:id/reverse',
    {
      schema: {
        tags: ['points'],
        params: Type.Object({ id: RefId }),
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req) => {
      const r = await points().reverse(req.params.id, req.body.reason, by(req));
      return { ...r, balance: points().balance(r.residentId) };
    },
  );

  // Rankings
  app.get(
    '/api/points/ranking',
    {
      schema: { tags: ['points'], querystring: Type.Object({ period: Type.Optional(Period), by: By }) },
      preHandler: requireRole(users, 'viewer'),
    },
    async (req) => ranking(req.query.period, req.query.by),
  );
  app.get(
    '/api/points/ranking.csv',
    {
      schema: {
        tags: ['points'],
        description: "A period's ranking as CSV (UTF-8 with BOM, so Excel in China opens it).",
        querystring: Type.Object({ period: Type.Optional(Period), by: By }),
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req, reply) => {
      const r = ranking(req.query.period, req.query.by);
      const group = r.by === 'branch' ? '党支部' : r.by === 'community' ? '社区' : undefined;
      const lines = [
        [...(group ? [group] : []), '排名', '姓名', '居民编号', '积分'].join(','),
        ...r.rows.map((x) =>
          [...(group ? [x.group] : []), x.rank, x.name, x.residentId, x.points].map(csvCell).join(','),
        ),
      ];
      reply.header('content-disposition', `attachment; filename="ranking-${r.period}.csv"`);
      return reply.type('text/csv; charset=utf-8').send(`\ufeff${lines.join('\r\n')}\r\n`);
    },
  );

  // Quarterly assessments
  const assessmentView = (a: Assessment): AssessmentSummary => {
    const counts: Record<string, number> = {};
    for (const r of Object.values(a.results)) counts[r.flag] = (counts[r.flag] ?? 0) + 1;
    return { id: a.id, quarter: a.quarter, at: a.at, by: a.by, scope: a.scope, rules: a.rules, counts };
  };
  app.get(
    '/api/points/assessments',
    {
      schema: {
        tags: ['points'],
        description: 'Every assessment made, newest first (a later one of a quarter supersedes).',
      },
      preHandler: requireRole(users, 'viewer'),
    },
    async () =>
      points()
        .ledger.state.assessments.filter((a) => a.received >= a.parts) // a crash mid-way leaves one unfinished
        .reverse()
        .map(assessmentView),
  );
  app.get(
    '/api/points/assessments/preview',
    {
      schema: { tags: ['points'], querystring: Type.Object({ quarter: Quarter }) },
      preHandler: requireRole(users, 'staff'),
    },
    async (req): Promise<AssessmentPreview> => {
      const p = points().preview(req.query.quarter, members());
      return { ...p, results: p.results.map((r) => ({ ...r, name: nameOf(r.residentId) })) };
    },
  );
  app.get(
    '/api/points/assessments/:id',
    {
      schema: { tags: ['points'], params: Type.Object({ id: RefId }) },
      preHandler: requireRole(users, 'viewer'),
    },
    async (req): Promise<AssessmentDetail> => {
      const a = points().ledger.state.assessments.find((x) => x.id === req.params.id);
      if (!a) throw new LinliError('NOT_FOUND', 'no such assessment');
      return {
        ...assessmentView(a),
        results: Object.entries(a.results)
          .map(([residentId, r]) => ({ residentId, name: nameOf(residentId), ...r }))
          .sort((x, y) => (x.group < y.group ? -1 : x.group > y.group ? 1 : x.rank - y.rank)),
      };
    },
  );
  app.post(
    '/api/points/assessments',
    {
      schema: {
        tags: ['points'],
        description: "Records a finished quarter's flags (the scheme's rules unless others are given).",
        body: Type.Object(
          { quarter: Quarter, rules: Type.Optional(AssessmentSchema.properties.rules) },
          { additionalProperties: false },
        ),
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => {
      const a = await points().assess(req.body.quarter, members(), by(req), req.body.rules);
      return reply.status(201).send(assessmentView(a));
    },
  );
}
