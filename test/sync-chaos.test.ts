/**
 * Chaos (issue 5): while a real edge makes over 50,000 records through its front doors (MQTT
 * scans, help presses, restocks, residents, device status), the `linli-cloud` process on the
 * machine's PostgreSQL is SIGKILLed and restarted 20 times, the link is cut for a while (retry
 * timings scaled down), the edge is SIGKILLed twice, and the edge's clock is an hour off. At the
 * end the cloud holds exactly the edge's records — none missing, none twice — and every stream's
 * contiguous seq equals the edge's last; records vouched `synced` carry the cloud's time.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import t from 'tap';
import { requirePostgres, TestDatabases } from '../cloud-sync/server/db/test-targets.js';
import type { SyncView } from '../edge/api/types.js';
import { RecordLog } from '../edge/store/record-log.js';
import { type CloudProcess, registerHouse, startCloud } from './helpers/cloud-process.js';
import { api, type EdgeProcess, login, startEdge, tempDir } from './helpers/edge-process.js';
import { EdgeLoad } from './helpers/record-load.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

t.setTimeout(600_000);
await requirePostgres();
const databases = new TestDatabases('chaos');
t.teardown(() => databases.dropAll());

const TARGET_RECORDS = Number(process.env.CHAOS_RECORDS ?? 50_000);
const CLOUD_KILLS = 20;
const EDGE_KILLS_AT = new Set([5, 13]);
const LINK_CUT_AT = 8;
const HOUR = 3_600_000;
const CLOCK_PRELOAD = fileURLToPath(new URL('./helpers/clock-offset.mjs', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('the cloud ends up with exactly the edge’s records after kills, cuts and a wrong clock', async (t) => {
  const dir = await tempDir('linli-chaos-');
  const databaseUrl = await databases.create();
  let cloud: CloudProcess = await startCloud({ dataDir: join(dir, 'cloud'), databaseUrl });
  t.teardown(() => cloud.stop('SIGKILL'));
  const house = await registerHouse(cloud.url);
  const proxy = new TcpProxy(cloud.port);
  await proxy.start();
  t.teardown(() => proxy.close());

  const edgeDir = join(dir, 'edge');
  const edgeEnv = {
    LINLI_HOUSE_ID: house.id,
    LINLI_CLOUD_URL: `http://127.0.0.1:${proxy.port}`,
    LINLI_HOUSE_SECRET: house.secret,
    LINLI_SYNC_IDLE_MS: '50',
    LINLI_SYNC_BACKOFF_MS: '20',
    LINLI_SYNC_BACKOFF_MAX_MS: '300',
    LINLI_SYNC_TIMEOUT_MS: '3000',
    LINLI_JOURNAL_SEGMENT_KB: '1024',
    // The box booted an hour ahead (test/helpers/clock-offset.mjs shifts Date).
    NODE_OPTIONS: `--import=${CLOCK_PRELOAD}`,
    LINLI_TEST_CLOCK_OFFSET_MS: String(HOUR),
  };
  let edge: EdgeProcess = await startEdge(edgeEnv, { dataDir: edgeDir });
  t.teardown(() => edge.stop('SIGKILL'));
  const token = await login(edge.httpUrl);
  const load = new EdgeLoad(() => edge, token);
  t.teardown(() => load.close());
  await load.setup();

  const view = async () => (await api<SyncView>(edge.httpUrl, token, 'GET', '/api/sync')).body;
  const totalRecords = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const v = await view();
        return Object.values(v.streams).reduce((n, s) => n + s.lastSeq, 0);
      } catch (err) {
        if (Date.now() > deadline) throw err; // not a restart: the edge is gone
        await sleep(100); // the edge is restarting
      }
    }
  };

  // The load: mostly scans, with alarms, points, residents and device changes among them, paced
  // to go on for as long as the chaos does (rounds of about 1,000 records every 1.2 s).
  let loading = true;
  let chaosDone = false;
  const made = { presses: 0, acked: 0 };
  const loadDone = (async () => {
    let round = 0;
    while (!chaosDone || (await totalRecords()) < TARGET_RECORDS) {
      const t0 = Date.now();
      round++;
      await load.scans(1000, 100, (i) => `R${round}-${i}`);
      await load.restock(10);
      await load.residents(4, `r${round}`);
      if (round % 3 === 0) {
        made.presses++;
        if (await load.press()) made.acked++;
      }
      if (!chaosDone) await sleep(1200 - (Date.now() - t0));
    }
    loading = false;
  })();
  // Awaited below; if the test fails first, the teardown's load.close() ends this loop instead.
  loadDone.catch(() => undefined);

  // The chaos, while the load runs.
  let kills = 0;
  let edgeKills = 0;
  while (kills < CLOUD_KILLS) {
    await sleep(1200);
    kills++;
    await cloud.stop('SIGKILL');
    if (kills === LINK_CUT_AT) {
      await proxy.cut();
      await sleep(200);
    }
    if (EDGE_KILLS_AT.has(kills)) {
      await edge.stop('SIGKILL');
      edgeKills++;
      edge = await startEdge(edgeEnv, { dataDir: edgeDir });
    }
    await sleep(150);
    cloud = await startCloud({ dataDir: join(dir, 'cloud'), databaseUrl });
    proxy.target = cloud.port;
    if (kills === LINK_CUT_AT) {
      await sleep(2500); // the cloud is up, the link still down
      await proxy.restore();
    }
    if (process.env.CHAOS_DEBUG) console.error('kill', kills, await totalRecords());
  }
  chaosDone = true;
  await loadDone;
  t.notOk(loading);
  t.equal(edgeKills, 2);
  t.ok(made.acked > 0 && made.acked === made.presses, `${made.acked} help presses, every one acknowledged`);

  const drain = async () => {
    const deadline = Date.now() + 120_000;
    let last = -1;
    for (;;) {
      const v = await view();
      const total = Object.values(v.streams).reduce((n, s) => n + s.lastSeq, 0);
      // Drained, and quiet for a moment (no record made since the previous look).
      if (v.backlog === 0 && total === last) return v;
      last = v.backlog === 0 ? total : -1;
      if (Date.now() > deadline) throw new Error(`backlog left: ${JSON.stringify(v.streams)}`);
      await sleep(500);
    }
  };
  const drained = await drain();
  t.same(drained.deadLetters, [], 'no record was rejected');
  t.equal(drained.clock.state, 'synced');
  t.ok(
    Math.abs(drained.clock.offsetMs + HOUR) < 5000,
    `the edge follows the cloud's clock (${drained.clock.offsetMs} ms)`,
  );
  // A clean stop writes its last records (device counters and status); they go at the next start.
  t.equal(await edge.stop(), 0, 'a clean stop');
  edge = await startEdge(edgeEnv, { dataDir: edgeDir });
  await drain();
  await edge.stop('SIGKILL');

  // The edge's records, from its journal.
  const log = await RecordLog.open({ dir: join(edgeDir, 'records'), house: house.id, clock: () => 'synced' });
  const onEdge = new Map<string, Map<number, string>>();
  let edgeTotal = 0;
  for await (const { record } of log.read(log.firstLsn)) {
    const m = onEdge.get(record.stream) ?? new Map<number, string>();
    onEdge.set(record.stream, m);
    m.set(record.seq, record.id);
    edgeTotal++;
  }
  await log.close();
  t.ok(edgeTotal >= TARGET_RECORDS, `${edgeTotal} records on the edge`);

  // The cloud's.
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const rows = (
    await db.query<{ stream: string; seq: string; id: string }>(
      'SELECT stream, seq, id::text FROM records WHERE house = $1',
      [house.id],
    )
  ).rows;
  t.equal(rows.length, edgeTotal, 'as many records in the cloud as on the edge');
  const states = (
    await db.query<{ stream: string; contiguous: string }>(
      'SELECT stream, contiguous FROM stream_state WHERE house = $1',
      [house.id],
    )
  ).rows;
  const contiguous = new Map(states.map((s) => [s.stream, Number(s.contiguous)]));
  const inCloud = new Map<string, Map<number, string>>();
  let twice = 0;
  for (const r of rows) {
    const m = inCloud.get(r.stream) ?? new Map<number, string>();
    inCloud.set(r.stream, m);
    if (m.has(Number(r.seq))) twice++;
    m.set(Number(r.seq), r.id);
  }
  t.equal(twice, 0, 'none twice');
  for (const [stream, m] of onEdge) {
    const c = inCloud.get(stream) ?? new Map<number, string>();
    let missing = 0;
    let different = 0;
    for (const [seq, id] of m) {
      const got = c.get(seq);
      if (got === undefined) missing++;
      else if (got !== id) different++;
    }
    t.same(
      { stream, missing, different, extra: c.size - (m.size - missing), contiguous: contiguous.get(stream) },
      { stream, missing: 0, different: 0, extra: 0, contiguous: Math.max(...m.keys()) },
      `${stream}: ${m.size} records, each once, contiguous to the edge's last`,
    );
  }
  if (process.env.CHAOS_DEBUG) {
    const types = await db.query(
      'SELECT stream, type, count(*) AS n FROM records WHERE house = $1 GROUP BY 1, 2 ORDER BY 1, 2',
      [house.id],
    );
    console.error(JSON.stringify(types.rows));
  }
  const rejections = (await db.query('SELECT count(*) AS n FROM rejections WHERE house = $1', [house.id]))
    .rows[0];
  t.equal(Number(rejections?.n), 0);

  // The clock: records vouched synced carry the cloud's time, not the box's hour-ahead clock.
  const clocks = (
    await db.query<{ clock: string; n: string; ahead: string }>(
      `SELECT clock, count(*) AS n,
              count(*) FILTER (WHERE ts > received_at + interval '30 seconds') AS ahead
         FROM records WHERE house = $1 GROUP BY clock`,
      [house.id],
    )
  ).rows;
  const synced = clocks.find((c) => c.clock === 'synced');
  const unsynced = clocks.find((c) => c.clock === 'unsynced');
  t.ok(Number(synced?.n) > 0, `${synced?.n} records synced`);
  t.equal(Number(synced?.ahead), 0, 'no synced record is ahead of the cloud');
  t.ok(
    Number(unsynced?.n) > 0,
    `${unsynced?.n} records made before contact (at start and after each edge crash)`,
  );
  t.equal(Number(unsynced?.ahead), Number(unsynced?.n), 'those carry the box’s own clock, an hour ahead');
});
