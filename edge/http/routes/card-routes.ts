import { Type } from 'typebox';
import { LinliError } from '../../errors.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const CardSchema = Type.Object({
  uid: Type.String(),
  residentId: Type.String(),
  kind: Type.Union([Type.Literal('resident'), Type.Literal('party')]),
  state: Type.Union([Type.Literal('active'), Type.Literal('lost'), Type.Literal('revoked')]),
  boundAt: Type.String(),
  changedAt: Type.String(),
});
const UidParams = Type.Object({ uid: Type.String({ pattern: '^[0-9A-Fa-f]{8,20}$' }) });
const ResidentId = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });

/** Cards bound to residents: bind, report lost, revoke, reactivate (admin); list (staff). */
export async function cardRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users, cards } = deps;
  app.get(
    '/api/cards',
    {
      schema: {
        tags: ['cards'],
        querystring: Type.Object({ residentId: Type.Optional(ResidentId) }),
        response: { 200: Type.Array(CardSchema), ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => (req.query.residentId ? cards.forResident(req.query.residentId) : [...cards.list()]),
  );
  app.get(
    '/api/residents/:id/cards',
    {
      schema: {
        tags: ['cards'],
        description: "A resident's cards in every state, the newest binding first.",
        params: Type.Object({ id: ResidentId }),
        response: { 200: Type.Array(CardSchema), ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => cards.forResident(req.params.id),
  );
  app.get(
    '/api/cards/:uid',
    {
      schema: { tags: ['cards'], params: UidParams, response: { 200: CardSchema, ...errorResponses } },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => {
      const card = cards.get(req.params.uid.toUpperCase());
      if (!card) throw new LinliError('NOT_FOUND', 'no such card');
      return card;
    },
  );
  app.post(
    '/api/cards',
    {
      schema: {
        tags: ['cards'],
        description:
          'Binds a card to a resident. A 4-byte UID starting 08 is random at every read and is refused (422 CARD_INVALID); ' +
          'a card active for anyone is refused (409 CARD_BOUND); a lost or revoked card may be bound again.',
        body: Type.Object(
          {
            uid: Type.String({ pattern: '^[0-9A-Fa-f]{8,20}$' }),
            residentId: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
            kind: Type.Union([Type.Literal('resident'), Type.Literal('party')]),
          },
          { additionalProperties: false },
        ),
        response: { 201: CardSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => reply.status(201).send(await cards.bind(req.body, req.session?.username ?? '?')),
  );
  app.patch(
    '/api/cards/:uid',
    {
      schema: {
        tags: ['cards'],
        description:
          'Report a card lost, revoke it, or make it active again (it works again at once). The same state again changes nothing.',
        params: UidParams,
        body: Type.Object(
          { state: Type.Union([Type.Literal('lost'), Type.Literal('revoked'), Type.Literal('active')]) },
          { additionalProperties: false },
        ),
        response: { 200: CardSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req) => cards.setState(req.params.uid, req.body.state, req.session?.username ?? '?'),
  );
}
