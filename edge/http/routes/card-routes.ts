import { Type } from 'typebox';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const CardSchema = Type.Object({
  uid: Type.String(),
  residentId: Type.String(),
  kind: Type.String(),
  state: Type.String(),
  boundAt: Type.String(),
  changedAt: Type.String(),
});
const UidParams = Type.Object({ uid: Type.String({ pattern: '^[0-9A-Fa-f]{8,20}$' }) });

/** Cards bound to residents: bind, report lost, revoke (admin); list (staff). */
export async function cardRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users, cards } = deps;
  app.get(
    '/api/cards',
    {
      schema: { tags: ['cards'], response: { 200: Type.Array(CardSchema), ...errorResponses } },
      preHandler: requireRole(users, 'staff'),
    },
    async () => [...cards.list()],
  );
  app.post(
    '/api/cards',
    {
      schema: {
        tags: ['cards'],
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
        description: 'Report a card lost, revoke it, or make it active again.',
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
