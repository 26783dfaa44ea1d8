import { Type } from 'typebox';
import { kioskAlarmView } from '../../alarms/alarm-model.js';
import { LinliError } from '../../errors.js';
import type { AppDeps } from '../app-deps.js';
import { KIOSK_COOKIE, requireKiosk } from '../auth-guard.js';
import { errorResponses } from '../schemas.js';
import { streamSse } from '../sse-stream.js';
import type { TypedApp } from '../typed-app.js';

/** What a kiosk screen may see of the house's events. */
const KIOSK_EVENTS = new Set(['qr.scanned', 'kiosk.alarm', 'kiosk.greeting', 'kiosk.notices']);

/** Payment events: a kiosk sees those of the payments it started. */
const PAYMENT_EVENTS = new Set(['payment', 'payment.prompt']);

const KioskSession = Type.Object({ deviceId: Type.String(), house: Type.String() });

/** Routes of the residents' kiosk screens; each needs the screen's own token. */
export async function kioskRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { registry, health, config } = deps;
  /** Open streams per kiosk: a screen is online while at least one is open. */
  const open = new Map<string, number>();
  app.post(
    '/api/kiosk/session',
    {
      schema: {
        tags: ['kiosk'],
        description: 'Pairs this browser with a kiosk device: stores its token in an HttpOnly cookie.',
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 200: KioskSession, ...errorResponses },
      },
      config: { rateLimit: { max: config.loginMaxPerMinute, timeWindow: 60_000 } },
    },
    async (req, reply) => {
      const kiosk = registry.kioskForToken(req.body.token);
      if (!kiosk) throw new LinliError('UNAUTHENTICATED', 'unknown kiosk token');
      reply.setCookie(KIOSK_COOKIE, req.body.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: Boolean(config.tlsCert),
        path: '/',
        maxAge: 10 * 365 * 24 * 3600,
      });
      return { deviceId: kiosk.id, house: config.houseId };
    },
  );
  app.get(
    '/api/kiosk/me',
    {
      schema: { tags: ['kiosk'], response: { 200: KioskSession, ...errorResponses } },
      preHandler: requireKiosk(registry),
    },
    async (req) => ({ deviceId: req.kiosk?.id ?? '', house: config.houseId }),
  );
  app.post(
    '/api/kiosk/help',
    {
      schema: {
        tags: ['kiosk'],
        description:
          "The kiosk's red (sos) or green (service) help button. The screen re-sends with the same `requestId` until it gets an answer: one press, one alarm, answered only once the alarm is on disk.",
        body: Type.Object(
          {
            requestId: Type.String({ pattern: '^[A-Za-z0-9-]{8,64}$' }),
            key: Type.Union([Type.Literal('sos'), Type.Literal('service')]),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ alarmId: Type.String(), state: Type.String() }), ...errorResponses },
      },
      preHandler: requireKiosk(registry),
    },
    async (req) => {
      if (!deps.alarms) throw new LinliError('INTERNAL', 'alarms are not running');
      const a = await deps.alarms.press(req.kiosk?.id as string, {
        type: 'help.pressed',
        ts: new Date().toISOString(),
        seq: 0,
        boot: req.body.requestId,
        key: req.body.key,
      });
      return { alarmId: a.id, state: a.state };
    },
  );
  app.get(
    '/api/kiosk/events',
    {
      schema: { tags: ['kiosk'], description: 'Server-sent events for a kiosk screen (scans).' },
      preHandler: requireKiosk(registry),
    },
    async (req, reply) => {
      const id = req.kiosk?.id as string;
      open.set(id, (open.get(id) ?? 0) + 1);
      health.reportLink(id, true);
      streamSse(
        req,
        reply,
        deps.sse,
        config.sseKeepaliveMs,
        (e) =>
          KIOSK_EVENTS.has(e.event) ||
          (PAYMENT_EVENTS.has(e.event) &&
            deps.payments?.service.get((e.data as { id: string }).id)?.kioskId === id),
        () => {
          const n = (open.get(id) ?? 1) - 1;
          if (n > 0) open.set(id, n);
          else {
            open.delete(id);
            health.reportLink(id, false, 'screen closed');
          }
        },
        // A screen that opens while a help alarm is in progress shows its banner at once.
        (deps.alarms?.list() ?? [])
          .filter((a) => a.state !== 'resolved' && a.kind !== 'technical')
          .map((a) => ({ event: 'kiosk.alarm', data: kioskAlarmView(a) })),
      );
    },
  );
}
