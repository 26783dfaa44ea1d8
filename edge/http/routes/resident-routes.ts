import QRCode from 'qrcode';
import { Type } from 'typebox';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });
const Phone = Type.String({ pattern: '^\\+?[0-9-]{3,20}$' });
const Contact = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    relation: Type.Optional(Type.String({ maxLength: 32 })),
    phone: Phone,
  },
  { additionalProperties: false },
);
const Fields = {
  name: Type.String({ minLength: 1, maxLength: 64 }),
  address: Type.Optional(Type.String({ maxLength: 200 })),
  phone: Type.Optional(Phone),
  roles: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z-]{1,32}$' }), { maxItems: 10 })),
  emergencyContacts: Type.Optional(Type.Array(Contact, { maxItems: 10 })),
  healthNotes: Type.Optional(Type.String({ maxLength: 4000 })),
};
const ResidentView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Type.Optional(Type.String()),
  phone: Type.Optional(Type.String()),
  roles: Type.Array(Type.String()),
  emergencyContacts: Type.Array(Contact),
  healthNotes: Type.Optional(Type.String()),
  badge: Type.Optional(Type.Object({ code: Type.String(), issuedAt: Type.String() })),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const ContactsSchema = Type.Object(
  {
    community: Type.Optional(Type.Object({ name: Type.String({ maxLength: 64 }), phone: Phone })),
    police: Type.Optional(Type.Object({ name: Type.String({ maxLength: 64 }), phone: Phone })),
  },
  { additionalProperties: false },
);

/** Residents (elders), their QR badges, and the public contact numbers badges show. */
export async function residentRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users, residents, state } = deps;
  const badgeUrl = (token: string) => `${deps.publicBase()}/p/badge/${token}`;
  const by = (s?: { username: string }) => s?.username ?? '?';
  app.get(
    '/api/residents',
    {
      schema: { tags: ['residents'], response: { 200: Type.Array(ResidentView), ...errorResponses } },
      preHandler: requireRole(users, 'staff'),
    },
    async () => residents.list(),
  );
  app.get(
    '/api/residents/:id',
    {
      schema: {
        tags: ['residents'],
        description: 'With the health notes (staff only).',
        params: Type.Object({ id: Id }),
        response: { 200: ResidentView, ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => residents.get(req.params.id, true),
  );
  app.post(
    '/api/residents',
    {
      schema: {
        tags: ['residents'],
        body: Type.Object({ id: Id, ...Fields }, { additionalProperties: false }),
        response: { 201: ResidentView, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => reply.status(201).send(await residents.create(req.body, by(req.session))),
  );
  app.patch(
    '/api/residents/:id',
    {
      schema: {
        tags: ['residents'],
        params: Type.Object({ id: Id }),
        body: Type.Partial(Type.Object(Fields), { additionalProperties: false }),
        response: { 200: ResidentView, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req) => residents.update(req.params.id, req.body, by(req.session)),
  );
  app.post(
    '/api/residents/:id/badge',
    {
      schema: {
        tags: ['residents'],
        description:
          'Issues a new QR badge; the previous one is dead from now on. The URL carries an opaque token only.',
        params: Type.Object({ id: Id }),
        response: { 201: Type.Object({ code: Type.String(), url: Type.String() }), ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => {
      const { token, code } = await residents.issueBadge(req.params.id, by(req.session));
      return reply.status(201).send({ code, url: badgeUrl(token) });
    },
  );
  app.delete(
    '/api/residents/:id/badge',
    {
      schema: { tags: ['residents'], params: Type.Object({ id: Id }) },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => {
      await residents.revokeBadge(req.params.id, by(req.session));
      return reply.status(204).send();
    },
  );
  app.get(
    '/api/residents/:id/badge.:format',
    {
      schema: {
        tags: ['residents'],
        description: 'The printable badge QR code, SVG or PNG.',
        params: Type.Object({ id: Id, format: Type.Union([Type.Literal('svg'), Type.Literal('png')]) }),
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req, reply) => {
      const url = badgeUrl(residents.badgeToken(req.params.id));
      reply.header('cache-control', 'no-store');
      if (req.params.format === 'svg') {
        return reply
          .type('image/svg+xml')
          .send(await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
      }
      return reply
        .type('image/png')
        .send(await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 8 }));
    },
  );
  app.get(
    '/api/settings/contacts',
    { schema: { tags: ['residents'], response: { 200: ContactsSchema } } },
    async () => state.data.contacts,
  );
  app.put(
    '/api/settings/contacts',
    {
      schema: {
        tags: ['residents'],
        body: ContactsSchema,
        response: { 200: ContactsSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req) => {
      await state.update((d) => {
        d.contacts = req.body;
      });
      return state.data.contacts;
    },
  );
}
