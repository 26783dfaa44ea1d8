import { Type } from 'typebox';
import { auditOf } from '../../config-sync/track-edit.js';
import { deviceView } from '../../devices/device-view.js';
import { LinliError } from '../../errors.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { DeviceCreatedSchema, DeviceViewSchema, errorResponses, NewDeviceSchema } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }) });

export async function deviceRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { registry, health, users } = deps;
  app.get(
    '/api/devices',
    {
      schema: { tags: ['devices'], response: { 200: Type.Array(DeviceViewSchema), ...errorResponses } },
      preHandler: requireRole(users, 'viewer'),
    },
    async () => registry.list().map((d) => deviceView(d, health.get(d.id))),
  );
  app.get(
    '/api/devices/:id',
    {
      schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceViewSchema, ...errorResponses } },
      preHandler: requireRole(users, 'viewer'),
    },
    async (req) => {
      const d = registry.get(req.params.id);
      if (!d) throw new LinliError('NOT_FOUND', `no device ${req.params.id}`);
      return deviceView(d, health.get(d.id));
    },
  );
  app.post(
    '/api/devices',
    {
      schema: {
        tags: ['devices'],
        description:
          'Registers a device. For an MQTT device the answer holds its password, for a kiosk its token: shown once.',
        body: NewDeviceSchema,
        response: { 201: DeviceCreatedSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => {
      const by = req.session?.username ?? '?';
      const { device, password, token, tracked } = await registry.register(
        req.body as Parameters<typeof registry.register>[0],
        by,
      );
      await deps.records.append('registry', 'device.registered', {
        entity: 'device',
        id: device.id,
        type: device.type,
        transport: device.transport,
        by,
        ...auditOf(tracked),
      });
      req.log.info({ deviceId: device.id, type: device.type, by }, 'device registered');
      return reply.status(201).send({
        ...deviceView(device, health.get(device.id)),
        ...(password ? { password } : {}),
        ...(token ? { token } : {}),
      });
    },
  );
  app.delete(
    '/api/devices/:id',
    { schema: { tags: ['devices'], params: IdParams }, preHandler: requireRole(users, 'admin') },
    async (req, reply) => {
      const by = req.session?.username ?? '?';
      const tracked = await registry.remove(req.params.id, by);
      await deps.records.append('registry', 'device.removed', {
        entity: 'device',
        id: req.params.id,
        by,
        ...auditOf(tracked),
      });
      req.log.info({ deviceId: req.params.id, by }, 'device removed');
      return reply.status(204).send();
    },
  );
}
