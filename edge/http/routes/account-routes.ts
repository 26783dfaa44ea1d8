import { Type } from 'typebox';
import type { AppDeps } from '../app-deps.js';
import { requireKioskOrRole, requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';
import { idempotencyKey, paymentsOf } from './payment-routes.js';

const Created = Type.Object({ id: Type.String(), ref: Type.String(), state: Type.String() });

/** The resident-card account (docs/payments.md): spends paid by the next tap, and balances. */
export async function accountRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  app.post(
    '/api/account-payments',
    {
      schema: {
        tags: ['payments'],
        description:
          'An account spend: the next card tap on `readerId` within the tap timeout pays it. Needs an `Idempotency-Key` header.',
        body: Type.Object(
          {
            amountFen: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
            item: Type.String({ minLength: 1, maxLength: 64 }),
            readerId: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Created, 201: Created, ...errorResponses },
      },
      preHandler: requireKioskOrRole(deps.registry, deps.users, 'staff'),
    },
    async (req, reply) => {
      const { payment, created } = await paymentsOf(deps).accounts.create({
        ...req.body,
        idempotencyKey: idempotencyKey(req.headers['idempotency-key']),
        ...(req.kiosk ? { kioskId: req.kiosk.id } : {}),
      });
      reply.status(created ? 201 : 200);
      return { id: payment.id, ref: payment.ref, state: payment.state };
    },
  );
  app.get(
    '/api/accounts/:residentId',
    {
      schema: {
        tags: ['payments'],
        params: Type.Object({ residentId: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: {
          200: Type.Object({
            residentId: Type.String(),
            balanceFen: Type.Integer(),
            entries: Type.Array(
              Type.Object({ payment: Type.String(), amountFen: Type.Integer(), at: Type.String() }),
            ),
          }),
          ...errorResponses,
        },
      },
      preHandler: requireRole(deps.users, 'staff'),
    },
    async (req) => {
      const { service } = paymentsOf(deps);
      const { residentId } = req.params;
      return {
        residentId,
        balanceFen: service.balance(residentId),
        entries: (service.state.accounts[residentId] ?? []).map((e) => ({ ...e })),
      };
    },
  );
}
