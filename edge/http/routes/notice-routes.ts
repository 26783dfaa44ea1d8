import { Type } from 'typebox';
import type { AppDeps } from '../app-deps.js';
import { requireKiosk, requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const Time = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}', maxLength: 40 });
const NoticeBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 100 }),
    body: Type.String({ maxLength: 4000 }),
    from: Type.Optional(Time),
    until: Type.Optional(Time),
    pinned: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const NoticeSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  body: Type.String(),
  from: Type.Optional(Type.String()),
  until: Type.Optional(Type.String()),
  pinned: Type.Optional(Type.Boolean()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const KioskNotice = Type.Object({
  id: Type.String(),
  title: Type.String(),
  body: Type.String(),
  pinned: Type.Optional(Type.Boolean()),
  until: Type.Optional(Type.String()),
});
const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }) });

/** Notices for the residents: viewers read, staff write; the kiosk shows the current ones. */
export async function noticeRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users, registry } = deps;
  const notices = deps.configSync.notices;
  const by = (s?: { username: string }) => s?.username ?? '?';
  app.get(
    '/api/notices',
    {
      schema: {
        tags: ['notices'],
        description: 'Every notice (current, upcoming and past), pinned first, then the newest.',
        response: { 200: Type.Array(NoticeSchema), ...errorResponses },
      },
      preHandler: requireRole(users, 'viewer'),
    },
    async () => notices.list(),
  );
  app.post(
    '/api/notices',
    {
      schema: {
        tags: ['notices'],
        body: NoticeBody,
        response: { 201: NoticeSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req, reply) => reply.status(201).send(await notices.create(req.body, by(req.session))),
  );
  app.put(
    '/api/notices/:id',
    {
      schema: {
        tags: ['notices'],
        description: 'Replaces the notice: fields left out are cleared.',
        params: IdParams,
        body: NoticeBody,
        response: { 200: NoticeSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => notices.update(req.params.id, req.body, by(req.session)),
  );
  app.delete(
    '/api/notices/:id',
    {
      schema: { tags: ['notices'], params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
      preHandler: requireRole(users, 'staff'),
    },
    async (req, reply) => {
      await notices.remove(req.params.id, by(req.session));
      return reply.status(204).send(null);
    },
  );
  app.get(
    '/api/kiosk/notices',
    {
      schema: {
        tags: ['kiosk'],
        description:
          'The notices to show now on the attract screen (SSE `kiosk.notices` says when to reload).',
        response: { 200: Type.Array(KioskNotice), ...errorResponses },
      },
      preHandler: requireKiosk(registry),
    },
    async () =>
      notices.current().map((n) => ({
        id: n.id,
        title: n.title,
        body: n.body,
        ...(n.pinned ? { pinned: true } : {}),
        ...(n.until ? { until: n.until } : {}),
      })),
  );
}
