/**
 * The config client against the real cloud app (PGlite in memory) over real HTTP on 127.0.0.1:
 * edits go up in requests of at most MAX_EDITS and each answer is settled, the bundle comes down
 * with `since` and 304 when nothing changed, a cloud behind the edge's version is pulled from 0, a
 * clock an hour off is corrected, an unreachable cloud is retried with a capped, jittered backoff,
 * and a kick ends the idle wait. The store here is the client's far side, kept in memory.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { v7 } from 'uuid';
import { SwitchProxy } from '../../test/helpers/switch-proxy.js';
import {
  type ConfigBundle,
  type ConfigEdit,
  type ConfigEditResult,
  type ConfigEditsAnswer,
  type ConfigEntity,
  MAX_EDITS,
} from '../protocol/config.js';
import { buildCloudApp, HOUSES_PATH } from '../server/app.js';
import { openDb } from '../server/db/open.js';
import { ConfigClient, type ConfigClientOptions, type ConfigSyncStore } from './config-client.js';

const KEY = randomBytes(32);
const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const ADMIN_AUTH = `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`;

/** The edge's side, in memory: edits to send, their results, the entities pulled. */
class MemoryStore implements ConfigSyncStore {
  v = 0;
  pending: ConfigEdit[] = [];
  results: ConfigEditResult[] = [];
  entities = new Map<string, ConfigEntity>();
  bundles: ConfigBundle[] = [];
  version(): number {
    return this.v;
  }
  async pendingEdits(max: number): Promise<ConfigEdit[]> {
    return this.pending.slice(0, max);
  }
  async settle(sent: readonly ConfigEdit[], answer: ConfigEditsAnswer): Promise<void> {
    const ids = new Set(sent.map((e) => e.edit));
    this.pending = this.pending.filter((e) => !ids.has(e.edit));
    this.results.push(...answer.results);
  }
  async apply(bundle: ConfigBundle): Promise<void> {
    this.bundles.push(bundle);
    for (const e of bundle.entities) this.entities.set(`${e.kind}/${e.id}`, e);
    this.v = bundle.version;
  }
  counts() {
    return { pendingEdits: this.pending.length, openConflicts: 0 };
  }
}

const db = await openDb({});
t.teardown(() => db.close());
const app = await buildCloudApp({ db, cloudKey: KEY, adminPassword: ADMIN });
await app.listen({ host: '127.0.0.1', port: 0 });
t.teardown(() => app.close());
const cloudPort = (app.server.address() as AddressInfo).port;
const cloudUrl = `http://127.0.0.1:${cloudPort}`;

let houses = 0;
async function newHouse(): Promise<{ id: string; secret: string }> {
  const res = await app.inject({
    method: 'POST',
    url: HOUSES_PATH,
    headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' },
    payload: JSON.stringify({
      city: '沈阳市',
      district: '和平区',
      street: '南湖街道',
      community: '文安路社区',
      name: `config client house ${++houses}`,
    }),
  });
  if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`);
  return res.json();
}

function notice(n: number, base = 0): ConfigEdit {
  return {
    edit: v7(),
    kind: 'notice',
    id: `n-${n}`,
    base,
    op: 'put',
    data: { title: `通知 ${n}`, body: '' },
    at: new Date().toISOString(),
    by: 'staff1',
  };
}

function client(
  house: { id: string; secret: string },
  store: ConfigSyncStore,
  opts: Partial<ConfigClientOptions> = {},
): ConfigClient {
  return new ConfigClient({ cloudUrl, house: house.id, secret: house.secret, store, ...opts });
}

/** A fetch that notes each request's method, path and status. */
function spy(log: string[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    log.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname} ${res.status}`);
    return res;
  };
}

t.test('edits go up in requests of at most MAX_EDITS, the bundle comes down, then 304', async (t) => {
  const house = await newHouse();
  const store = new MemoryStore();
  store.pending = Array.from({ length: MAX_EDITS * 2 + 3 }, (_, i) => notice(i));
  const sent = store.pending.map((e) => e.edit);
  const log: string[] = [];
  const c = client(house, store, { fetch: spy(log) });
  const r = await c.syncOnce();
  t.same(log, [
    'POST /api/v1/sync/config/edits 200',
    'POST /api/v1/sync/config/edits 200',
    'POST /api/v1/sync/config/edits 200',
    'GET /api/v1/sync/config 200',
  ]);
  t.match(r, {
    editsSent: sent.length,
    applied: sent.length,
    conflicts: 0,
    rejected: 0,
    pulled: sent.length,
  });
  t.same(
    store.results.map((x) => x.edit),
    sent,
    'one result per edit, in order',
  );
  t.equal(store.entities.get('notice/n-7')?.edit, sent[7], 'the bundle names the edit that made each entity');
  t.ok(store.v > 0);
  t.equal(store.bundles[0]?.since, 0);

  log.length = 0;
  const again = await c.syncOnce();
  t.same(log, ['GET /api/v1/sync/config 304'], 'nothing to send, nothing changed');
  t.equal(again.pulled, 0);
  const s = c.status();
  t.ok(s.lastPullAt && s.lastPushAt && s.lastSuccessAt);
  t.equal(s.lastError, null);
  t.equal(s.version, store.v);
});

t.test('conflicts and refusals come back per edit; the same edit id gets its first outcome', async (t) => {
  const house = await newHouse();
  const store = new MemoryStore();
  const first = notice(1);
  store.pending = [first];
  const c = client(house, store);
  await c.syncOnce();
  const stale = notice(1, 0);
  const bad: ConfigEdit = { ...notice(2), data: { title: '', body: '' } };
  store.pending = [stale, bad, first];
  const r = await c.syncOnce();
  t.match(r, { conflicts: 1, rejected: 1, applied: 1 });
  const [conflict, rejected, repeat] = store.results.slice(1);
  t.match(conflict, {
    edit: stale.edit,
    outcome: 'conflict',
    current: { kind: 'notice', id: 'n-1', edit: first.edit },
  });
  t.match(rejected, { edit: bad.edit, outcome: 'rejected', reason: /title/ });
  t.match(repeat, { edit: first.edit, outcome: 'applied', version: store.results[0]?.version }, 'idempotent');
});

t.test('a cloud behind the edge (reset) is pulled from 0', async (t) => {
  const house = await newHouse();
  const store = new MemoryStore();
  store.pending = [notice(1)];
  const c = client(house, store);
  await c.syncOnce();
  store.v = 1000;
  store.bundles = [];
  const r = await c.syncOnce();
  t.equal(r.repulled, true);
  t.equal(store.bundles[0]?.since, 0, 'the whole bundle');
  t.equal(store.v, 1);
});

t.test('a clock an hour off is corrected from the answer and the request retried once', async (t) => {
  const house = await newHouse();
  const store = new MemoryStore();
  store.pending = [notice(1)];
  const log: string[] = [];
  const c = client(house, store, { now: () => Date.now() + 3_600_000, fetch: spy(log) });
  await c.syncOnce();
  t.same(log, [
    'POST /api/v1/sync/config/edits 401',
    'POST /api/v1/sync/config/edits 200',
    'GET /api/v1/sync/config 200',
  ]);
  t.ok(Math.abs((c.clockOffsetMs ?? 0) + 3_600_000) < 2000, 'offset about -1 h');
  // A 304 has no body: the time comes from the header and keeps the offset right.
  log.length = 0;
  await c.syncOnce();
  t.same(log, ['GET /api/v1/sync/config 304']);
});

t.test(
  'an unreachable cloud: capped, jittered backoff, then it recovers; a kick ends the idle wait',
  async (t) => {
    const house = await newHouse();
    const proxy = await SwitchProxy.start(cloudPort, 'down');
    t.teardown(() => proxy.close());
    const store = new MemoryStore();
    store.pending = [notice(1)];
    const delays: { delayMs: number; failures: number; ceilingMs: number }[] = [];
    const c = new ConfigClient({
      cloudUrl: proxy.url,
      house: house.id,
      secret: house.secret,
      store,
      backoffBaseMs: 20,
      backoffCapMs: 160,
      idleMs: 60_000,
      requestTimeoutMs: 2000,
      onBackoff: (delayMs, failures, ceilingMs) => delays.push({ delayMs, failures, ceilingMs }),
    });
    c.start();
    t.teardown(() => c.stop({ abort: true }));
    while (delays.length < 8) await new Promise((r) => setTimeout(r, 20));
    t.same(
      delays.slice(0, 6).map((d) => d.ceilingMs),
      [20, 40, 80, 160, 160, 160],
      'doubles up to the cap',
    );
    for (const d of delays) t.ok(d.delayMs >= 10 && d.delayMs <= d.ceilingMs, 'within [base/2, ceiling]');
    t.equal(c.status().lastError?.code, 'network');
    t.ok(c.status().consecutiveFailures >= 8);

    proxy.set('up');
    while (store.pending.length > 0) await new Promise((r) => setTimeout(r, 20));
    while (c.status().lastSuccessAt === null) await new Promise((r) => setTimeout(r, 20));
    t.equal(c.status().consecutiveFailures, 0);
    t.equal(store.results[0]?.outcome, 'applied');

    // Idle for a minute now; a kick starts the next round at once.
    store.pending = [notice(2)];
    const t0 = Date.now();
    c.kick();
    while (store.pending.length > 0) await new Promise((r) => setTimeout(r, 10));
    t.ok(Date.now() - t0 < 5000, 'the kicked round ran without waiting for the idle minute');
    t.equal(c.backoffDelay(50).ceilingMs, 160, 'the cap holds for any number of failures');
  },
);
