/**
 * Sync end to end with real processes: a `linli-edge` whose cloud is not there yet keeps its
 * records (clock "unsynced"), then a `linli-cloud` on the machine's PostgreSQL comes up and every
 * record of every stream arrives once, in contiguity; records made after the first answer carry
 * `clock: "synced"`; `GET /api/sync` and `/metrics` tell the backlog; an edge without a cloud says
 * so.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import { requirePostgres, TestDatabases } from '../cloud-sync/server/db/test-targets.js';
import type { SyncView } from '../edge/api/types.js';
import { registerHouse, startCloud } from './helpers/cloud-process.js';
import { api, login, startEdge, tempDir } from './helpers/edge-process.js';
import { EdgeLoad } from './helpers/record-load.js';

await requirePostgres();
const databases = new TestDatabases('synce2e');
t.teardown(() => databases.dropAll());

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('an edge syncs every stream once the cloud is there, and follows its clock', async (t) => {
  const dir = await tempDir('linli-sync-e2e-');
  const databaseUrl = await databases.create();
  const port = await freePort();
  let cloud = await startCloud({ dataDir: join(dir, 'cloud'), databaseUrl, port });
  const house = await registerHouse(cloud.url);
  await cloud.stop();

  const edgeEnv = {
    LINLI_HOUSE_ID: house.id,
    LINLI_CLOUD_URL: `http://127.0.0.1:${port}`,
    LINLI_HOUSE_SECRET: house.secret,
    LINLI_SYNC_IDLE_MS: '100',
    LINLI_SYNC_BACKOFF_MS: '50',
    LINLI_SYNC_BACKOFF_MAX_MS: '200',
    LINLI_JOURNAL_SEGMENT_KB: '4',
    LINLI_RETENTION_DAYS: '0',
    LINLI_RETENTION_CHECK_MS: '300',
  };
  const edgeDir = join(dir, 'edge');
  let edge = await startEdge(edgeEnv, { dataDir: edgeDir });
  t.teardown(() => edge.stop());
  const token = await login(edge.httpUrl);
  const load = new EdgeLoad(() => edge, token);
  t.teardown(() => load.close());

  // The cloud is not there: records are kept, marked unsynced, and the view says why.
  await load.residents(3, 'before');
  const offline = await until('a failed round', async () => {
    const v = (await api<SyncView>(edge.httpUrl, token, 'GET', '/api/sync')).body;
    return v.lastError ? v : undefined;
  });
  t.equal(offline.enabled, true);
  t.equal(offline.lastError?.code, 'network');
  t.equal(offline.clock.state, 'unsynced');
  t.ok((offline.streams.registry?.backlog ?? 0) >= 3, 'the residents (and the enrolment of the config) wait');
  t.ok((offline.streams.registry?.oldestUnsyncedAgeMs ?? -1) >= 0);

  cloud = await startCloud({ dataDir: join(dir, 'cloud'), databaseUrl, port });
  t.teardown(() => cloud.stop());
  await until('the backlog to drain', async () => {
    const v = (await api<SyncView>(edge.httpUrl, token, 'GET', '/api/sync')).body;
    return v.backlog === 0 && v.lastSuccessAt ? v : undefined;
  });

  // Records of every stream made while the cloud is up.
  await load.setup();
  await load.scans(500);
  t.ok(await load.press(), 'the help press was acknowledged');
  await load.restock(5);
  await load.residents(2, 'after');
  const synced = await until(
    'everything synced',
    async () => {
      const v = (await api<SyncView>(edge.httpUrl, token, 'GET', '/api/sync')).body;
      return v.backlog === 0 && (v.streams.service?.lastSeq ?? 0) >= 500 && v.streams.alarm?.lastSeq
        ? v
        : undefined;
    },
    60_000,
  );
  t.equal(synced.clock.state, 'synced');
  t.ok(
    (synced.lastSuccessAt ?? '') > (synced.lastError?.at ?? ''),
    'the last error (kept for the record) is older than the last success',
  );
  t.same(synced.deadLetters, []);

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const rows = (
    await db.query<{ stream: string; n: string; max: string; distinct_ids: string; contiguous: string }>(
      `SELECT r.stream, count(*) AS n, max(r.seq) AS max, count(DISTINCT r.id) AS distinct_ids, s.contiguous
         FROM records r JOIN stream_state s ON s.house = r.house AND s.stream = r.stream
        WHERE r.house = $1 GROUP BY r.stream, s.contiguous`,
      [house.id],
    )
  ).rows;
  const inCloud = Object.fromEntries(rows.map((r) => [r.stream, r]));
  for (const [stream, s] of Object.entries(synced.streams)) {
    if (s.lastSeq === 0) continue;
    const c = inCloud[stream];
    t.same(
      c && [Number(c.n), Number(c.max), Number(c.distinct_ids), Number(c.contiguous)],
      [s.lastSeq, s.lastSeq, s.lastSeq, s.lastSeq],
      `${stream}: all ${s.lastSeq} records, once, contiguous`,
    );
  }
  for (const stream of ['alarm', 'points', 'registry', 'service', 'device']) {
    t.ok((synced.streams[stream]?.lastSeq ?? 0) > 0, `stream ${stream} has records`);
  }

  const clocks = (
    await db.query<{ seq: string; clock: string; skew: string }>(
      `SELECT seq, clock, abs(extract(epoch FROM received_at - ts)) AS skew FROM records
        WHERE house = $1 AND stream = 'registry' ORDER BY seq`,
      [house.id],
    )
  ).rows;
  t.same(
    clocks.slice(0, 3).map((r) => r.clock),
    ['unsynced', 'unsynced', 'unsynced'],
    'made before the cloud answered',
  );
  t.same(
    clocks.slice(-2).map((r) => r.clock),
    ['synced', 'synced'],
    'made after',
  );

  // The edge's report reached the cloud (the city's view of its backlog).
  const report = (
    await db.query<{ version: string; backlog: string; streams: Record<string, { lastSeq: number }> }>(
      'SELECT version, backlog, streams FROM house_reports WHERE house = $1',
      [house.id],
    )
  ).rows[0];
  t.ok(report, 'the edge reported its state');
  t.equal(report?.version, '0.2.0');
  t.ok((report?.streams.service?.lastSeq ?? 0) > 0, 'with its streams');
  const contact = (await db.query('SELECT last_contact_at FROM houses WHERE id = $1', [house.id])).rows[0];
  t.ok(contact?.last_contact_at, 'and its last contact is known');

  const metrics = await (await fetch(`${edge.httpUrl}/metrics`)).text();
  t.match(metrics, /^linli_sync_backlog_records\{stream="service"\} 0$/m);
  t.match(metrics, /^linli_sync_clock_synced 1$/m);
  t.match(metrics, /^linli_sync_enabled 1$/m);
  t.match(metrics, /^linli_sync_records_total\{stream="service",outcome="stored"\} \d+$/m);

  t.equal((await api(edge.httpUrl, undefined, 'GET', '/api/sync')).status, 401, 'not for strangers');
  t.equal((await api(edge.httpUrl, token, 'POST', '/api/sync/now')).status, 202);
  t.same((await api(edge.httpUrl, token, 'POST', '/api/sync/dead-letters/retry', {})).body, {
    accepted: 0,
    remaining: 0,
  });

  // Retention (0 days here): synced segments are deleted once the snapshots cover them.
  const retained = await until('retention to delete every synced segment', async () => {
    const v = (await api<SyncView>(edge.httpUrl, token, 'GET', '/api/sync')).body;
    return v.journal.firstLsn > 1 && v.journal.segments <= 2 ? v : undefined;
  });
  t.ok(retained.journal.firstLsn > 1, `segments before LSN ${retained.journal.firstLsn} deleted`);
  t.ok(retained.retention.lastRun, 'the last pass is shown');
  // A crash after retention: the edge starts from its snapshots, nothing is sent twice.
  await edge.stop('SIGKILL');
  edge = await startEdge(edgeEnv, { dataDir: edgeDir });
  const alarms = (await api<{ id: string }[]>(edge.httpUrl, token, 'GET', '/api/alarms')).body;
  t.equal(alarms.length, 1, 'the alarm is still known after its records were deleted');
  await load.scans(20, 20, (i) => `AFTER-${i}`);
  const again = await until('the new scans to sync', async () => {
    const v = (await api<SyncView>(edge.httpUrl, token, 'GET', '/api/sync')).body;
    return v.backlog === 0 && (v.streams.service?.lastSeq ?? 0) >= (synced.streams.service?.lastSeq ?? 0) + 20
      ? v
      : undefined;
  });
  const service = (
    await db.query<{ n: string; contiguous: string }>(
      `SELECT count(*) AS n, (SELECT contiguous FROM stream_state WHERE house = $1 AND stream = 'service') AS contiguous
         FROM records WHERE house = $1 AND stream = 'service'`,
      [house.id],
    )
  ).rows[0];
  const last = again.streams.service?.lastSeq;
  t.same([Number(service?.n), Number(service?.contiguous)], [last, last], 'scans after the crash: once each');
});

t.test('an edge without a cloud works alone and says so', async (t) => {
  const edge = await startEdge();
  t.teardown(() => edge.stop());
  const token = await login(edge.httpUrl);
  const load = new EdgeLoad(() => edge, token);
  await load.residents(2);
  const v = (await api<SyncView>(edge.httpUrl, token, 'GET', '/api/sync')).body;
  t.equal(v.enabled, false);
  t.equal(v.streams.registry?.backlog, 2);
  t.equal(v.streams.registry?.cursor, 0);
  t.equal(v.clock.state, 'unsynced');
  const now = await api<{ code: string }>(edge.httpUrl, token, 'POST', '/api/sync/now');
  t.equal(now.status, 409);
  t.equal(now.body.code, 'SYNC_OFF');
  t.match(await (await fetch(`${edge.httpUrl}/metrics`)).text(), /^linli_sync_enabled 0$/m);
});
