import { Type } from 'typebox';
import { LinliError } from '../../errors.js';
import { reconciliationCsv } from '../../payments/reconciliation-csv.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';
import { paymentsOf } from './payment-routes.js';

const Totals = Type.Object({ count: Type.Integer(), totalFen: Type.Integer() });
export const ReconciliationSchema = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  batchNo: Type.String(),
  at: Type.String(),
  trigger: Type.String(),
  edge: Totals,
  terminal: Totals,
  matched: Type.Boolean(),
  payments: Type.Array(
    Type.Object({
      id: Type.String(),
      ref: Type.String(),
      item: Type.String(),
      amountFen: Type.Integer(),
      state: Type.String(),
    }),
  ),
  mismatches: Type.Array(
    Type.Object({
      kind: Type.String(),
      paymentId: Type.Optional(Type.String()),
      ref: Type.Optional(Type.String()),
      amountFen: Type.Optional(Type.Integer()),
      detail: Type.String(),
    }),
  ),
});

/** Settlement on demand and the reconciliation reports (docs/payments.md), for staff. */
export async function settlementRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const staff = requireRole(deps.users, 'staff');
  app.post(
    '/api/settlements',
    {
      schema: {
        tags: ['payments'],
        description: "Closes the terminal's batch now and answers with the reconciliation report.",
        body: Type.Object(
          { deviceId: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        response: { 200: ReconciliationSchema, ...errorResponses },
      },
      preHandler: staff,
    },
    async (req) => await paymentsOf(deps).settlements.settle(req.body.deviceId, 'admin'),
  );
  app.get(
    '/api/reconciliations',
    {
      schema: { tags: ['payments'], response: { 200: Type.Array(ReconciliationSchema), ...errorResponses } },
      preHandler: staff,
    },
    async () => paymentsOf(deps).settlements.list(),
  );
  app.get(
    '/api/reconciliations/:file',
    {
      schema: {
        tags: ['payments'],
        description: 'One report by id, or `{id}.csv`: the same as CSV (UTF-8 with BOM).',
        params: Type.Object({ file: Type.String({ pattern: '^[0-9a-f-]{36}(\\.csv)?$' }) }),
      },
      preHandler: staff,
    },
    async (req, reply) => {
      const { file } = req.params;
      const csv = file.endsWith('.csv');
      const report = paymentsOf(deps).settlements.get(csv ? file.slice(0, -4) : file);
      if (!report) throw new LinliError('NOT_FOUND', 'no such reconciliation');
      if (!csv) return report;
      return reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="reconciliation-${report.batchNo}-${report.id}.csv"`,
        )
        .send(reconciliationCsv(report));
    },
  );
}
