import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { streamSse } from '../sse-stream.js';
import type { TypedApp } from '../typed-app.js';

/** `GET /api/events`: every device event, status change and alarm change, live (staff or admin). */
export async function eventRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  app.get(
    '/api/events',
    {
      schema: {
        tags: ['events'],
        description:
          'Server-sent events: `event: <type>`, `id: <n>`, `data: <json>` with `deviceId` for device events. Send `Last-Event-ID` to replay what was missed.',
      },
      preHandler: requireRole(deps.users, 'staff'),
    },
    async (req, reply) => {
      // Kiosk views are for the public screens; staff get the whole alarm as `alarm`.
      streamSse(req, reply, deps.sse, deps.config.sseKeepaliveMs, (e) => !e.event.startsWith('kiosk.'));
    },
  );
}
