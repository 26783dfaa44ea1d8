import QRCode from 'qrcode';
import { Type } from 'typebox';
import { LinliError } from '../../errors.js';
import { PAYMENT_ITEMS } from '../../payments/payment-items.js';
import type { Payment } from '../../payments/payment-model.js';
import { receiptUrl } from '../../payments/payment-view.js';
import type { Payments } from '../../payments/payment-wiring.js';
import type { AppDeps } from '../app-deps.js';
import { requireKioskOrRole, requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });
const IDEMPOTENCY_KEY = /^[A-Za-z0-9-]{8,64}$/;
const STATES = ['created', 'sent', 'unknown', 'approved', 'declined', 'voided', 'waiting-card'];

export const PaymentViewSchema = Type.Object({
  id: Type.String(),
  ref: Type.String(),
  kind: Type.String(),
  state: Type.String(),
  item: Type.String(),
  amountFen: Type.Integer(),
  deviceId: Type.String(),
  residentId: Type.Optional(Type.String()),
  maskedPan: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  prompt: Type.Optional(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  receiptUrl: Type.Optional(Type.String()),
  history: Type.Array(Type.Object({ state: Type.String(), at: Type.String() })),
});
const Created = Type.Object({ id: Type.String(), ref: Type.String(), state: Type.String() });
const NewPayment = Type.Object(
  {
    amountFen: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
    item: Type.String({ minLength: 1, maxLength: 64 }),
    deviceId: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
    residentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** The payments API's helpers shared by the payment, account and settlement routes. */
export function paymentsOf(deps: AppDeps): Payments {
  if (!deps.payments) throw new LinliError('INTERNAL', 'payments are not running');
  return deps.payments;
}

/** The `Idempotency-Key` header, validated (8–64 `[A-Za-z0-9-]`). */
export function idempotencyKey(header: string | string[] | undefined): string {
  const key = Array.isArray(header) ? header[0] : header;
  if (!key || !IDEMPOTENCY_KEY.test(key))
    throw new LinliError('BAD_REQUEST', 'Idempotency-Key header (8–64 of [A-Za-z0-9-]) is required');
  return key;
}

/** A payment the caller may see: a kiosk only those it started, staff all. */
export function visiblePayment(payments: Payments, id: string, kioskId: string | undefined): Payment {
  const p = payments.service.get(id);
  if (!p || (kioskId !== undefined && p.kioskId !== kioskId))
    throw new LinliError('NOT_FOUND', 'no such payment');
  return p;
}

/** Bank-card sales (docs/payments.md, "HTTP API"): kiosk routes for paying, staff ones for follow-up. */
export async function paymentRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users, registry } = deps;
  const kioskOrStaff = requireKioskOrRole(registry, users, 'staff');
  const view = (p: Payment) => paymentsOf(deps).view(p);
  app.get(
    '/api/payments/items',
    { schema: { tags: ['payments'], description: 'The item catalogue.' }, preHandler: kioskOrStaff },
    async () => PAYMENT_ITEMS,
  );
  app.post(
    '/api/payments',
    {
      schema: {
        tags: ['payments'],
        description:
          'Starts a bank-card sale on a terminal. Needs an `Idempotency-Key` header: the same key again answers 200 with the same payment.',
        body: NewPayment,
        response: { 200: Created, 201: Created, ...errorResponses },
      },
      preHandler: kioskOrStaff,
    },
    async (req, reply) => {
      const key = idempotencyKey(req.headers['idempotency-key']);
      const { payment, created } = await paymentsOf(deps).service.create({
        ...req.body,
        idempotencyKey: key,
        ...(req.kiosk ? { kioskId: req.kiosk.id } : {}),
      });
      if (req.kiosk && payment.kioskId !== req.kiosk.id)
        throw new LinliError('IDEMPOTENCY_MISMATCH', 'this Idempotency-Key was used by another screen');
      reply.status(created ? 201 : 200);
      return { id: payment.id, ref: payment.ref, state: payment.state };
    },
  );
  app.get(
    '/api/payments',
    {
      schema: {
        tags: ['payments'],
        description: 'Payments, newest first.',
        querystring: Type.Object({
          state: Type.Optional(Type.Union(STATES.map((s) => Type.Literal(s)))),
          deviceId: Type.Optional(Type.String()),
          from: Type.Optional(Type.String({ format: 'date-time' })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
        }),
        response: { 200: Type.Array(PaymentViewSchema), ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => {
      const { state, deviceId, from, to, limit } = req.query;
      const fromIso = from ? new Date(from).toISOString() : undefined;
      const toIso = to ? new Date(to).toISOString() : undefined;
      const out = [];
      for (const p of paymentsOf(deps).service.list()) {
        if (state && p.state !== state) continue;
        if (deviceId && p.deviceId !== deviceId) continue;
        if (fromIso && p.createdAt < fromIso) continue;
        if (toIso && p.createdAt >= toIso) continue;
        out.push(view(p));
        if (out.length >= (limit ?? 500)) break;
      }
      return out;
    },
  );
  app.get(
    '/api/payments/:id',
    {
      schema: {
        tags: ['payments'],
        params: IdParams,
        response: { 200: PaymentViewSchema, ...errorResponses },
      },
      preHandler: kioskOrStaff,
    },
    async (req) => view(visiblePayment(paymentsOf(deps), req.params.id, req.kiosk?.id)),
  );
  app.get(
    '/api/payments/:id/receipt.svg',
    {
      schema: { tags: ['payments'], description: "The receipt's QR code (SVG).", params: IdParams },
      preHandler: kioskOrStaff,
    },
    async (req, reply) => {
      const payments = paymentsOf(deps);
      const p = visiblePayment(payments, req.params.id, req.kiosk?.id);
      const token = payments.tokens.get(p.id);
      if (!token || (p.state !== 'approved' && p.state !== 'voided'))
        throw new LinliError('NOT_FOUND', 'this payment has no receipt');
      const svg = await QRCode.toString(receiptUrl(deps.publicBase(), token), {
        type: 'svg',
        errorCorrectionLevel: 'M',
        margin: 2,
      });
      return reply.header('cache-control', 'no-store').type('image/svg+xml').send(svg);
    },
  );
  app.post(
    '/api/payments/:id/void',
    {
      schema: {
        tags: ['payments'],
        params: IdParams,
        response: { 200: PaymentViewSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => view(await paymentsOf(deps).service.void(req.params.id)),
  );
  app.post(
    '/api/payments/:id/query',
    {
      schema: {
        tags: ['payments'],
        description: 'Asks the terminal now about an unknown payment.',
        params: IdParams,
        response: { 200: PaymentViewSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => view(await paymentsOf(deps).service.queryNow(req.params.id)),
  );
}
