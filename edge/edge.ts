import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { DeviceEvent } from '../firmware-bridge/device-events.js';
import { startAlarms } from './alarms/alarm-wiring.js';
import { UserService } from './auth/user-service.js';
import { EdgeBroker } from './broker/broker.js';
import { EdgeStatusClient } from './broker/edge-status-client.js';
import { parseDeviceTopic } from './broker/topics.js';
import { CardService } from './cards/card-service.js';
import { ConfigError, type EdgeConfig } from './config/config.js';
import { type ConfigSync, startConfigSync } from './config-sync/config-sync-wiring.js';
import { SealedBox } from './crypto/sealed-box.js';
import { readTlsFiles } from './crypto/tls-files.js';
import { brokerDriverSink } from './devices/broker-driver-sink.js';
import { CounterRollup } from './devices/counter-rollup.js';
import { type DeviceCommand, DeviceDrivers } from './devices/device-drivers.js';
import { DeviceHealth } from './devices/device-health.js';
import { DeviceIntake } from './devices/device-intake.js';
import { DeviceRegistry } from './devices/device-registry.js';
import { plainMeaning, qrScanHandler } from './devices/qr-scan-handler.js';
import { EventBus } from './events/event-bus.js';
import { feedScreens } from './events/screen-feed.js';
import { SseHub } from './events/sse-hub.js';
import { buildApp } from './http/app.js';
import type { TypedApp } from './http/typed-app.js';
import { EdgeMetrics } from './metrics/edge-metrics.js';
import { type Payments, startPayments } from './payments/payment-wiring.js';
import type { PointsService } from './points/points-service.js';
import { startPoints } from './points/points-wiring.js';
import { idDigestKey } from './residents/id-number.js';
import { ResidentService } from './residents/resident-service.js';
import { EDGE_STATE_MIGRATIONS, type EdgeState, emptyEdgeState } from './state/edge-state.js';
import { RecordLog } from './store/record-log.js';
import { SnapshotStore } from './store/snapshot-store.js';
import { openStateStore, type StateStore } from './store/state-store.js';
import { EdgeClock } from './sync/edge-clock.js';
import { EdgeSync } from './sync/edge-sync.js';
import { SyncMetrics } from './sync/sync-metrics.js';
import { packageRoot, packageVersion } from './util/package-root.js';

export interface RunningEdge {
  httpUrl: string;
  mqttUrl: string;
  /** Set when TLS is configured. */
  mqttsUrl?: string;
  /** The first admin's generated password, when LINLI_ADMIN_PASSWORD was not set on an empty store. */
  generatedAdminPassword?: string;
  registry: DeviceRegistry;
  records: RecordLog;
  state: StateStore<EdgeState>;
  residents: ResidentService;
  cards: CardService;
  points: PointsService;
  payments: Payments;
  sync: EdgeSync;
  clock: EdgeClock;
  configSync: ConfigSync;
  stop(): Promise<void>;
}

/**
 * The composition root: opens the store, starts the broker, the drivers and the HTTP app, and
 * wires them over the event bus. `stop()` undoes it in reverse: stop taking input, flush, close.
 */
export async function startEdge(
  config: Readonly<EdgeConfig>,
  log: Logger,
  dataKey: Buffer,
): Promise<RunningEdge> {
  const startedAt = Date.now();
  const version = packageVersion();
  await mkdir(config.dataDir, { recursive: true });
  const state = await openStateStore<EdgeState>(join(config.dataDir, 'state.json'), emptyEdgeState(), {
    migrations: EDGE_STATE_MIGRATIONS,
  });
  const users = new UserService(state, config.sessionHours * 3600_000);
  const generatedAdminPassword = await users.ensureFirstAdmin(config.adminPassword);
  const registry = new DeviceRegistry(state);
  const box = new SealedBox(dataKey);

  let metrics: EdgeMetrics | undefined;
  // Records say `clock: "unsynced"` until the cloud answered (or the system clock is synced), and
  // then carry the cloud's time (sync/edge-clock.ts).
  const clock = new EdgeClock();
  let sync: EdgeSync | undefined;
  let configSyncRef: ConfigSync | undefined;
  const records = await RecordLog.open({
    dir: join(config.dataDir, 'records'),
    house: config.houseId,
    clock: clock.state,
    now: clock.now,
    journal: {
      segmentMaxBytes: config.journalSegmentKb * 1024,
      onCommit: (_n, ms) => metrics?.journalAppend.observe(ms / 1000),
    },
    onAppend: (r) => sync?.appended(r),
  });

  const opened = records.stats;
  if (opened.journal.tornTailBytes > 0) {
    log.warn(
      { bytes: opened.journal.tornTailBytes, entries: opened.journal.tornEntries },
      'dropped a torn journal tail (never acknowledged)',
    );
  }
  log.info({ records: opened.journal.lastLsn, openMs: Math.round(opened.recovery.openMs) }, 'journal opened');

  const bus = new EventBus();
  const sse = new SseHub(config.sseReplay);
  const health = new DeviceHealth({ misses: config.heartbeatMisses, scaleMs: config.heartbeatScaleMs });
  let broker: EdgeBroker | undefined;
  metrics = new EdgeMetrics({
    devicesOnline: () => health.onlineCount(),
    devicesRegistered: () => registry.list().length,
    mqttClients: () => broker?.connectedClients ?? 0,
    sseClients: () => sse.clients,
    journal: () => {
      const s = records.stats.journal;
      return { bytes: s.bytes, records: s.lastLsn, segments: s.segments, tornTailBytes: s.tornTailBytes };
    },
  });
  const m = metrics;

  broker = new EdgeBroker({
    maxPayload: config.mqttMaxPayload,
    log: log.child({ part: 'mqtt' }),
    auth: {
      verifyDevice: (id, pw) => registry.verifyMqtt(id, pw),
      verifyUser: async (name, pw) => (await users.verify(name, pw)) !== undefined,
    },
    events: {
      refused: (info) => {
        m.mqttRefused.inc({ action: info.action, reason: info.reason });
        if (info.deviceId) health.countError(info.deviceId);
        log.warn(
          { principal: info.principal, action: info.action, reason: info.reason },
          'mqtt request refused',
        );
      },
      deviceDisconnected: (id) => health.disconnected(id),
    },
  });
  const b = broker;
  await b.start();

  feedScreens(bus, health, sse, records, log);

  const residents = new ResidentService(state, box, records, idDigestKey(dataKey));
  const cards = new CardService(state, records);
  let publicBase = config.publicUrl ?? config.cloudUrl ?? '';
  const snapshots = await SnapshotStore.open(join(config.dataDir, 'snapshots'));
  const sink = brokerDriverSink(
    b,
    health,
    (reason) => m.payloadsRejected.inc({ reason: `wire-${reason}` }),
    log,
  );
  const drivers = new DeviceDrivers(
    sink,
    {
      backoffMs: config.serialBackoffMs,
      backoffMaxMs: config.serialBackoffMaxMs,
      cardCooldownMs: config.cardCooldownMs,
      pcscHeartbeatMs: config.pcscHeartbeatMs,
      ecr: {
        ackTimeoutMs: config.ecrAckTimeoutMs,
        resultTimeoutMs: config.ecrResultTimeoutMs,
        queryTimeoutMs: config.ecrQueryTimeoutMs,
      },
    },
    log.child({ part: 'drivers' }),
  );

  const { alarms, stop: stopAlarms } = await startAlarms({
    smsModems: () =>
      registry.list().flatMap((d) => {
        const driver = d.type === 'gsm-modem' ? drivers.get(d.id) : undefined;
        const send = driver?.sendSms?.bind(driver);
        return send && health.get(d.id)?.online ? [{ id: d.id, send }] : [];
      }),
    health,
    testEveryMs: config.helpTestDays * 86_400_000,
    state,
    tz: config.tz,
    notifyRetryMs: config.notifyRetryMs,
    records,
    snapshots,
    broker: b,
    sse,
    registry,
    escalateMs: config.alarmEscalateMs,
    dedupeMs: config.alarmDedupeMs,
    now: clock.now,
    log,
  });

  const intake = new DeviceIntake(registry, health, bus, log.child({ part: 'intake' }), {
    accepted: (type) => m.deviceEvents.inc({ type }),
    rejected: (reason) => m.payloadsRejected.inc({ reason }),
  });
  intake.on('help.pressed', async (deviceId, e) => {
    if (e.type === 'help.pressed') await alarms.press(deviceId, e);
  });
  intake.on(
    'qr.scanned',
    qrScanHandler(records, bus, (text) => {
      const token = /\/p\/badge\/([A-Za-z0-9_-]{16,64})$/.exec(text)?.[1];
      const r = token ? residents.byBadge(token) : undefined;
      if (!r?.badge) return plainMeaning(text);
      return { kind: 'badge', residentId: r.id, view: { code: r.badge.code, ...state.data.contacts } };
    }) as (id: string, e: DeviceEvent) => Promise<void>,
  );
  const points = await startPoints({
    schemeFile: config.pointsCatalogue,
    tz: config.tz,
    records,
    snapshots,
    state,
    cards,
    intake,
    broker: b,
    sse,
    now: clock.now,
    log,
  });
  const payments = await startPayments({
    dataDir: config.dataDir,
    records,
    snapshots,
    registry,
    drivers,
    residentExists: (id) => state.data.residents.some((r) => r.id === id),
    card: (uid) => cards.get(uid),
    intake,
    tapTimeoutMs: config.accountTapTimeoutMs,
    sse,
    publicBase: () => publicBase,
    backoff: { initialMs: config.paymentQueryBackoffMs, maxMs: config.paymentQueryBackoffMaxMs },
    settleAt: config.settleAt,
    tz: config.tz,
    now: clock.now,
    log,
  });
  const edgeSync = await EdgeSync.open({
    config,
    records,
    clock,
    holders: [alarms, points, payments.service],
    version,
    configVersion: () => configSyncRef?.status().version ?? 0,
    log: log.child({ part: 'sync' }),
    metrics: new SyncMetrics(m.registry, () => edgeSync.view()),
  });
  sync = edgeSync;
  await b.subscribe('linli/v1/dev/+/+', (packet) => intake.onPacket(packet));

  registry.on('added', (d) => {
    health.track(d);
    drivers.add(d).catch((err: unknown) => log.error({ err, deviceId: d.id }, 'driver start failed'));
  });
  registry.on('removed', (d) => {
    health.forget(d.id);
    drivers.remove(d.id).catch((err: unknown) => log.error({ err, deviceId: d.id }, 'driver stop failed'));
  });
  for (const d of registry.list()) health.track(d);
  health.start();
  // Commands to devices the edge drives itself (help.ack to a wired panel) go through their driver.
  await b.subscribe('linli/v1/dev/+/cmd', (packet) => {
    const t = parseDeviceTopic(packet.topic);
    if (!t || !drivers.get(t.deviceId)?.command) return;
    let cmd: DeviceCommand;
    try {
      cmd = JSON.parse(packet.payload.toString()) as DeviceCommand;
    } catch {
      return;
    }
    drivers
      .command(t.deviceId, cmd)
      .catch((err: unknown) =>
        log.warn({ err, deviceId: t.deviceId, type: cmd.type }, 'command to device failed'),
      );
  });
  const rollup = new CounterRollup(
    health,
    () => registry.list().map((d) => d.id),
    (r) => records.append('device', 'device.counters', r),
    config.deviceCountersMs,
    (err) => log.error({ err }, 'writing device counters failed'),
  );
  rollup.start();
  // Config sync with the cloud (issue 5): notices, the bundle, local edits (edge/config-sync/).
  const configSync = await startConfigSync({
    config,
    state,
    keys: { box, idKey: idDigestKey(dataKey) },
    records,
    registry,
    points,
    sse,
    onClockOffset: (ms) => clock.learn(ms),
    log,
  });
  configSyncRef = configSync;

  // Listeners: a busy port fails here, before anything is announced.
  let app: TypedApp | undefined;
  const statusClient = new EdgeStatusClient(b, { house: config.houseId, version });
  const stopAll = async () => {
    await edgeSync.stop();
    await configSync.stop();
    health.stop();
    rollup.stop();
    await stopAlarms();
    await points.close().catch((err: unknown) => log.error({ err }, 'points snapshot failed'));
    await payments.stop();
    await drivers.stopAll();
    await rollup.flush().catch((err: unknown) => log.error({ err }, 'writing device counters failed'));
    await statusClient.stop();
    await app?.close();
    await b.stop();
    await records.close();
  };
  try {
    const tls =
      config.tlsCert && config.tlsKey ? await readTlsFiles(config.tlsCert, config.tlsKey) : undefined;
    const mqttPort = await listening('LINLI_MQTT_PORT', config.mqttPort, () =>
      b.listenTcp(config.mqttPort, config.bind),
    );
    const mqttsPort = tls
      ? await listening('LINLI_MQTTS_PORT', config.mqttsPort, () =>
          b.listenTcp(config.mqttsPort, config.bind, tls),
        )
      : undefined;
    app = await buildApp(
      {
        config,
        log,
        version,
        startedAt,
        users,
        registry,
        health,
        sse,
        metrics: m,
        broker: b,
        state,
        alarms,
        residents,
        cards,
        points,
        payments,
        sync: edgeSync,
        records,
        configSync,
        publicBase: () => publicBase,
        uiDir: join(packageRoot(), 'kiosk-ui', 'dist'),
      },
      { forceCloseConnections: true, ...(tls ? { https: tls } : {}) } as FastifyServerOptions,
    );
    const httpApp = app;
    await listening('LINLI_HTTP_PORT', config.httpPort, () =>
      httpApp.listen({ port: config.httpPort, host: config.bind }),
    );
    const addr = app.server.address();
    const httpPort = typeof addr === 'object' && addr ? addr.port : config.httpPort;
    const host = config.bind === '0.0.0.0' || config.bind === '::' ? '127.0.0.1' : config.bind;

    if (!publicBase) publicBase = `${tls ? 'https' : 'http'}://${host}:${httpPort}`;
    await statusClient.start(`mqtt://${host}:${mqttPort}`);

    for (const d of registry.list()) await drivers.add(d);
    edgeSync.start();
    return {
      httpUrl: `${tls ? 'https' : 'http'}://${host}:${httpPort}`,
      mqttUrl: `mqtt://${host}:${mqttPort}`,
      ...(mqttsPort !== undefined ? { mqttsUrl: `mqtts://${host}:${mqttsPort}` } : {}),
      ...(generatedAdminPassword ? { generatedAdminPassword } : {}),
      registry,
      records,
      state,
      residents,
      cards,
      points,
      payments,
      sync: edgeSync,
      clock,
      configSync,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

/** Runs a listen, turning a busy or unusable address into the configuration error of its setting. */
async function listening<T>(setting: string, port: number, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConfigError(setting, `port ${port} is already in use`);
    if (code === 'EACCES') throw new ConfigError(setting, `not allowed to listen on port ${port}`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new ConfigError('LINLI_BIND', 'address is not available on this machine');
    throw err;
  }
}
