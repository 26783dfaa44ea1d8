import { Type } from 'typebox';
import type { AppDeps } from '../app-deps.js';
import type { TypedApp } from '../typed-app.js';

/** `/healthz` and `/metrics` (Prometheus text). Neither shows personal data. */
export async function opsRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['ops'],
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            house: Type.String(),
            version: Type.String(),
            uptimeS: Type.Number(),
          }),
        },
      },
      config: { rateLimit: false },
    },
    async () => ({
      status: 'ok' as const,
      house: deps.config.houseId,
      version: deps.version,
      uptimeS: Math.round((Date.now() - deps.startedAt) / 1000),
    }),
  );
  app.get('/metrics', { schema: { tags: ['ops'], hide: false } }, async (_req, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}
