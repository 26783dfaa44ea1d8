import { Type } from 'typebox';
import { OUTCOMES } from '../../alarms/alarm-model.js';
import { staffAlarmView } from '../../alarms/alarm-wiring.js';
import { LinliError } from '../../errors.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });
const Step = Type.Object({
  at: Type.String(),
  action: Type.String(),
  by: Type.Optional(Type.String()),
  level: Type.Optional(Type.Integer()),
  detail: Type.Optional(Type.String()),
});
export const AlarmSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  state: Type.String(),
  deviceId: Type.String(),
  assignedTo: Type.Optional(Type.String()),
  press: Type.Object({
    ts: Type.String(),
    seq: Type.Integer(),
    boot: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
    button: Type.Optional(Type.String()),
  }),
  reason: Type.Optional(Type.String()),
  raisedAt: Type.String(),
  level: Type.Integer(),
  acknowledgedAt: Type.Optional(Type.String()),
  acknowledgedBy: Type.Optional(Type.String()),
  resolvedAt: Type.Optional(Type.String()),
  resolvedBy: Type.Optional(Type.String()),
  outcome: Type.Optional(Type.String()),
  note: Type.Optional(Type.String()),
  repeats: Type.Integer(),
  history: Type.Array(Step),
  who: Type.Optional(
    Type.Object({ residentId: Type.String(), name: Type.String(), address: Type.Optional(Type.String()) }),
  ),
});

/** The alarm console's API (staff): list, acknowledge, resolve with an outcome and a note. */
export async function alarmRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users } = deps;
  const alarms = () => {
    if (!deps.alarms) throw new LinliError('INTERNAL', 'alarms are not running');
    return deps.alarms;
  };
  app.get(
    '/api/alarms',
    {
      schema: {
        tags: ['alarms'],
        querystring: Type.Object({ open: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Array(AlarmSchema), ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) =>
      alarms()
        .list()
        .filter((a) => !req.query.open || a.state !== 'resolved')
        .map((a) => staffAlarmView(a, deps.state)),
  );
  app.post(
    '/api/alarms/:id/ack',
    {
      schema: { tags: ['alarms'], params: IdParams, response: { 200: AlarmSchema, ...errorResponses } },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) =>
      staffAlarmView(await alarms().acknowledge(req.params.id, req.session?.username ?? '?'), deps.state),
  );
  app.post(
    '/api/alarms/:id/resolve',
    {
      schema: {
        tags: ['alarms'],
        params: IdParams,
        body: Type.Object(
          {
            outcome: Type.Union(OUTCOMES.map((o) => Type.Literal(o))),
            note: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: AlarmSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) =>
      staffAlarmView(
        await alarms().resolve(req.params.id, req.session?.username ?? '?', req.body.outcome, req.body.note),
        deps.state,
      ),
  );
}
