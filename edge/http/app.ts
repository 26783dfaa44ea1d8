import { existsSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions, LogController } from 'fastify';
import type { AppDeps } from './app-deps.js';
import { installErrorHandler } from './error-handler.js';
import { accountRoutes } from './routes/account-routes.js';
import { alarmRoutes } from './routes/alarm-routes.js';
import { alarmSettingsRoutes } from './routes/alarm-settings-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { cardRoutes } from './routes/card-routes.js';
import { configSyncRoutes } from './routes/config-sync-routes.js';
import { deviceRoutes } from './routes/device-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { kioskRoutes } from './routes/kiosk-routes.js';
import { noticeRoutes } from './routes/notice-routes.js';
import { opsRoutes } from './routes/ops-routes.js';
import { paymentRoutes } from './routes/payment-routes.js';
import { pointsRoutes } from './routes/points-routes.js';
import { publicRoutes } from './routes/public-routes.js';
import { receiptRoutes } from './routes/receipt-routes.js';
import { residentRoutes } from './routes/resident-routes.js';
import { settlementRoutes } from './routes/settlement-routes.js';
import { syncRoutes } from './routes/sync-routes.js';
import { userRoutes } from './routes/user-routes.js';
import type { TypedApp } from './typed-app.js';

/**
 * Builds the edge's HTTP app without listening (the composition root listens and closes).
 * Kiosk and admin pages, the JSON API with a schema per route, OpenAPI at /docs, and the
 * WebSocket upgrade to MQTT at /mqtt.
 */
export async function buildApp(deps: AppDeps, serverOpts: FastifyServerOptions = {}): Promise<TypedApp> {
  const app = Fastify({
    loggerInstance: deps.log.child({ part: 'http' }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    ...serverOpts,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as TypedApp;

  installErrorHandler(app);
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Linli edge API',
        version: deps.version,
        description: 'The smart house edge daemon (DESIGN.md, "Edge HTTP API").',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'linli_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  for (const routes of [
    opsRoutes,
    authRoutes,
    deviceRoutes,
    eventRoutes,
    kioskRoutes,
    userRoutes,
    alarmRoutes,
    alarmSettingsRoutes,
    residentRoutes,
    cardRoutes,
    pointsRoutes,
    paymentRoutes,
    settlementRoutes,
    accountRoutes,
    publicRoutes,
    receiptRoutes,
    syncRoutes,
    configSyncRoutes,
    noticeRoutes,
  ]) {
    await routes(app, deps);
  }

  if (deps.uiDir && existsSync(deps.uiDir)) {
    await app.register(fastifyStatic, {
      root: deps.uiDir,
      prefix: '/',
      redirect: true,
      index: 'index.html',
      cacheControl: false,
    });
  } else {
    deps.log.warn({ uiDir: deps.uiDir }, 'kiosk-ui is not built: pages are not served (npm run build)');
  }

  app.server.on('upgrade', (req, socket, head) => {
    if (!deps.broker.handleUpgrade(req, socket, head)) socket.destroy();
  });
  return app;
}
