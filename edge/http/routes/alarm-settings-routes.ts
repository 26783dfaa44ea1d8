import { Type } from 'typebox';
import { auditOf, type TrackedEdit, trackEdit } from '../../config-sync/track-edit.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
const DutyEntrySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{5,20}$' })),
    level: Type.Integer({ minimum: 0, maximum: 9 }),
    from: Type.Optional(Type.String({ pattern: HHMM })),
    to: Type.Optional(Type.String({ pattern: HHMM })),
  },
  { additionalProperties: false },
);

const WebhookSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,32}$' }),
    url: Type.String({ pattern: '^https?://', maxLength: 500 }),
    format: Type.Union([Type.Literal('wecom'), Type.Literal('dingtalk'), Type.Literal('json')]),
    levels: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 9 }), { maxItems: 10 })),
  },
  { additionalProperties: false },
);

/** The alarm duty roster and notification webhooks: staff read the roster, admins replace both. */
export async function alarmSettingsRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users, state } = deps;
  app.get(
    '/api/duty',
    {
      schema: { tags: ['alarms'], response: { 200: Type.Array(DutyEntrySchema), ...errorResponses } },
      preHandler: requireRole(users, 'staff'),
    },
    async () => state.data.duty,
  );
  app.put(
    '/api/duty',
    {
      schema: {
        tags: ['alarms'],
        body: Type.Array(DutyEntrySchema, { maxItems: 200 }),
        response: { 200: Type.Array(DutyEntrySchema), ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req) => {
      const by = req.session?.username ?? '?';
      let tracked: TrackedEdit | undefined;
      await state.update((d) => {
        d.duty = req.body;
        tracked = trackEdit(d, 'duty', 'roster', 'put', by, new Date().toISOString());
      });
      // Names and numbers on the roster are personal: the record counts them only.
      await deps.records.append('registry', 'duty.replaced', {
        entity: 'duty',
        id: 'roster',
        entries: req.body.length,
        by,
        ...(tracked ? auditOf(tracked) : {}),
      });
      req.log.info({ entries: req.body.length, by }, 'duty roster replaced');
      return state.data.duty;
    },
  );
  app.get(
    '/api/webhooks',
    {
      schema: { tags: ['alarms'], response: { 200: Type.Array(WebhookSchema), ...errorResponses } },
      preHandler: requireRole(users, 'admin'),
    },
    async () => state.data.webhooks,
  );
  app.put(
    '/api/webhooks',
    {
      schema: {
        tags: ['alarms'],
        description:
          'Where alarm notifications are posted: WeCom or DingTalk group robots (text messages), or plain JSON.',
        body: Type.Array(WebhookSchema, { maxItems: 20 }),
        response: { 200: Type.Array(WebhookSchema), ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req) => {
      await state.update((d) => {
        d.webhooks = req.body;
      });
      req.log.info({ targets: req.body.map((w) => w.name), by: req.session?.username }, 'webhooks replaced');
      return state.data.webhooks;
    },
  );
}
