/**
 * The sync client against the real cloud app, in process on PGlite, over real HTTP on 127.0.0.1:
 * everything arrives once and in contiguity, alarms first, restart resumes exactly, rejections go
 * to dead letters without blocking, an outage backs off with jitter under the cap and recovers, a
 * clock an hour off is corrected, and 413s shrink the batches.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { v7 } from 'uuid';
import type { Stream, SyncRecord } from '../protocol/record.js';
import { buildCloudApp, HOUSES_PATH } from '../server/app.js';
import type { Db } from '../server/db/db.js';
import { openDb } from '../server/db/open.js';
import { FileSyncStateStore } from './state-store.js';
import { SyncClient, type SyncClientOptions } from './sync-client.js';
import type { SourceRecord, SyncSource } from './sync-source.js';

const KEY = randomBytes(32);
const ADMIN = `admin-${randomBytes(12).toString('hex')}`;

const TYPE: Partial<Record<Stream, string>> = {
  alarm: 'alarm.raised',
  points: 'card.swipe',
  registry: 'resident.created',
  device: 'device.status',
  service: 'qr.scanned',
};

class MemorySource implements SyncSource {
  readonly records = new Map<Stream, SyncRecord[]>();
  constructor(readonly house: string) {}
  append(stream: Stream, n: number, opts: { type?: string; pad?: number } = {}): void {
    const list = this.records.get(stream) ?? [];
    this.records.set(stream, list);
    for (let i = 0; i < n; i++) {
      const seq = list.length + 1;
      list.push({
        id: v7(),
        house: this.house,
        stream,
        seq,
        type: opts.type ?? (TYPE[stream] as string),
        ts: new Date(Date.now() - 60_000).toISOString(),
        clock: 'synced',
        v: 1,
        body: opts.pad ? { n: seq, pad: 'x'.repeat(opts.pad) } : { n: seq },
      });
    }
  }
  async *read(stream: Stream, afterSeq: number): AsyncIterable<SourceRecord> {
    const list = this.records.get(stream) ?? [];
    // One reused buffer, as the journal's reader: the client must copy what it keeps.
    const scratch = Buffer.alloc(64 * 1024);
    for (let i = afterSeq; i < list.length; i++) {
      const rec = list[i] as SyncRecord;
      const n = scratch.write(JSON.stringify(rec));
      yield { seq: rec.seq, json: scratch.subarray(0, n) };
      scratch.fill(0x23, 0, n);
    }
  }
  lastSeq(stream: Stream): number {
    return this.records.get(stream)?.length ?? 0;
  }
}

const db: Db = await openDb({});
t.teardown(() => db.close());
const tmp = await mkdtemp(join(tmpdir(), 'linli-sync-client-'));
t.teardown(() => rm(tmp, { recursive: true, force: true }));

async function cloud(
  port = 0,
  now?: () => number,
): Promise<{ app: FastifyInstance; url: string; port: number }> {
  const app = await buildCloudApp({ db, cloudKey: KEY, adminPassword: ADMIN, ...(now ? { now } : {}) });
  await app.listen({ host: '127.0.0.1', port });
  const p = (app.server.address() as AddressInfo).port;
  return { app, url: `http://127.0.0.1:${p}`, port: p };
}

const main = await cloud();
t.teardown(() => main.app.close());

let houseN = 0;
async function newHouse(): Promise<{ id: string; secret: string }> {
  houseN++;
  const res = await main.app.inject({
    method: 'POST',
    url: HOUSES_PATH,
    headers: {
      authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    payload: JSON.stringify({
      city: '沈阳市',
      district: '和平区',
      street: '南湖街道',
      community: '文安路社区',
      name: `sync client house ${houseN}`,
    }),
  });
  if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`);
  return res.json();
}

async function cloudCounts(
  house: string,
): Promise<Record<string, { n: number; max: number; contiguous: number }>> {
  const rows = await db.query<{ stream: string; n: number; max: number }>(
    'SELECT stream, count(*)::int AS n, max(seq)::int AS max FROM records WHERE house = $1 GROUP BY stream',
    [house],
  );
  const state = await db.query<{ stream: string; contiguous: number }>(
    'SELECT stream, contiguous FROM stream_state WHERE house = $1',
    [house],
  );
  const out: Record<string, { n: number; max: number; contiguous: number }> = {};
  for (const r of rows) out[r.stream] = { n: r.n, max: r.max, contiguous: 0 };
  for (const s of state) {
    const o = out[s.stream] ?? { n: 0, max: 0, contiguous: 0 };
    o.contiguous = s.contiguous;
    out[s.stream] = o;
  }
  return out;
}

/** A fetch that records each request's streams and status. */
function spyFetch(log: { streams: string[]; status: number; bytes: number }[]): typeof fetch {
  return async (input, init) => {
    const body = String(init?.body ?? '');
    let streams: string[] = [];
    try {
      streams = [...new Set((JSON.parse(body).records as SyncRecord[]).map((r) => r.stream))];
    } catch {}
    const res = await fetch(input, init);
    log.push({ streams, status: res.status, bytes: Buffer.byteLength(body) });
    return res;
  };
}

function client(
  house: { id: string; secret: string },
  source: SyncSource,
  file: string,
  over: Partial<SyncClientOptions> = {},
): SyncClient {
  return new SyncClient({
    cloudUrl: main.url,
    house: house.id,
    secret: house.secret,
    source,
    store: new FileSyncStateStore(join(tmp, file)),
    backoffBaseMs: 10,
    backoffCapMs: 100,
    idleMs: 20,
    ...over,
  });
}

t.test('a few thousand records over several streams arrive exactly, alarms first', async (t) => {
  const house = await newHouse();
  const src = new MemorySource(house.id);
  src.append('device', 1500);
  src.append('points', 1200);
  src.append('registry', 300);
  src.append('alarm', 1100);
  src.append('service', 50);
  const log: { streams: string[]; status: number; bytes: number }[] = [];
  const c = client(house, src, 'all.json', { fetch: spyFetch(log) });
  const r = await c.syncOnce();
  t.equal(r.sent, 4150);
  t.equal(r.stored, 4150);
  t.equal(r.duplicates, 0);
  t.ok(log.every((l) => l.streams.length === 1 && l.status === 200 && l.bytes <= 1024 * 1024));
  t.same(
    log.map((l) => l.streams[0]),
    ['alarm', 'alarm', 'points', 'points', 'registry', 'device', 'device', 'service'],
    'alarms first, then the rest in priority order, batches ≤ 1,000',
  );
  const counts = await cloudCounts(house.id);
  for (const s of ['alarm', 'points', 'registry', 'device', 'service'] as Stream[]) {
    t.same(counts[s], { n: src.lastSeq(s), max: src.lastSeq(s), contiguous: src.lastSeq(s) }, s);
  }
  t.same(await c.cursors(), { alarm: 1100, points: 1200, registry: 300, device: 1500, service: 50 });
  const saved = JSON.parse(await readFile(join(tmp, 'all.json'), 'utf8'));
  t.same(saved.cursors, await c.cursors(), 'cursors are on disk');
  const st = await c.status();
  t.equal(st.backlog, 0);
  t.equal(st.streams.alarm?.oldestUnsyncedAgeMs, null);
  t.ok(st.lastSuccessAt);
  t.equal(st.lastError, null);
  // Nothing new: a round sends nothing.
  t.equal((await c.syncOnce()).requests, 0);
});

t.test('a restart mid-way resumes exactly, with no duplicates', async (t) => {
  const house = await newHouse();
  const src = new MemorySource(house.id);
  src.append('alarm', 600);
  src.append('device', 2500);
  let calls = 0;
  let stopAt: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    stopAt = resolve;
  });
  const first = client(house, src, 'restart.json', {
    fetch: async (input, init) => {
      calls++;
      const res = await fetch(input, init);
      if (calls === 3) stopAt?.();
      return res;
    },
    maxBatchRecords: 500,
  });
  first.start();
  await stopped;
  await first.stop();
  const mid = await first.cursors();
  t.ok((mid.device ?? 0) > 0 && (mid.device ?? 0) < 2500, `stopped mid-way (${JSON.stringify(mid)})`);
  const status = await first.status();
  t.equal(status.streams.device?.backlog, 2500 - (mid.device ?? 0));
  t.ok((status.streams.device?.oldestUnsyncedAgeMs ?? 0) >= 60_000, 'oldest unsynced age');

  const log: { streams: string[]; status: number; bytes: number }[] = [];
  const second = client(house, src, 'restart.json', { fetch: spyFetch(log), maxBatchRecords: 500 });
  const r = await second.syncOnce();
  t.equal(r.duplicates, 0, 'the cloud saw no duplicate');
  t.equal(r.sent, 3100 - (mid.alarm ?? 0) - (mid.device ?? 0), 'only what was left');
  const counts = await cloudCounts(house.id);
  t.same(counts.alarm, { n: 600, max: 600, contiguous: 600 });
  t.same(counts.device, { n: 2500, max: 2500, contiguous: 2500 });
  t.same(await second.cursors(), { alarm: 600, device: 2500 });
});

t.test('a rejected record goes to dead letters and its stream syncs on', async (t) => {
  const house = await newHouse();
  const src = new MemorySource(house.id);
  src.append('points', 10);
  src.append('points', 1, { type: 'card.unknown-thing' });
  src.append('points', 10);
  const c = client(house, src, 'dead.json');
  const r = await c.syncOnce();
  t.equal(r.rejected, 1);
  t.same(await c.cursors(), { points: 21 });
  const dead = await c.deadLetters();
  t.equal(dead.length, 1);
  t.match(dead[0], { stream: 'points', seq: 11, reason: 'unknown-type', attempts: 1 });
  t.equal(dead[0]?.id, src.records.get('points')?.[10]?.id);
  t.equal((await c.status()).deadLetters, 1);
  const counts = await cloudCounts(house.id);
  t.same(counts.points, { n: 20, max: 21, contiguous: 21 });
  // Retried as it is: still rejected, seen again, kept.
  t.same(await c.retryDeadLetters(), { accepted: 0, remaining: 1 });
  t.equal((await c.deadLetters())[0]?.attempts, 2);
  // "Fixed" (here: the journal's copy now has a known type; same id and seq) → accepted, replaces.
  const rec = src.records.get('points')?.[10] as SyncRecord;
  rec.type = 'card.swipe';
  t.same(await c.retryDeadLetters(), { accepted: 1, remaining: 0 });
  t.same((await cloudCounts(house.id)).points, { n: 21, max: 21, contiguous: 21 });
  // Durable: a new instance on the same file sees the empty list.
  t.same(await client(house, src, 'dead.json').deadLetters(), []);
});

t.test('dead letters are retried in bodies within the batch byte limit', async (t) => {
  const house = await newHouse();
  const src = new MemorySource(house.id);
  src.append('points', 6, { type: 'card.unknown-thing', pad: 1500 });
  const log: { streams: string[]; status: number; bytes: number }[] = [];
  const c = client(house, src, 'dead-split.json', { maxBatchBytes: 4096, fetch: spyFetch(log) });
  t.equal((await c.syncOnce()).rejected, 6);
  log.length = 0;
  t.same(await c.retryDeadLetters(), { accepted: 0, remaining: 6 }, 'none lost while still refused');
  t.equal(log.length, 3, 'two records of ~1.6 KB per 4 KiB body');
  t.ok(
    log.every((l) => l.bytes <= 4096),
    `every body within the limit (${log.map((l) => l.bytes).join(', ')} bytes)`,
  );
  for (const rec of src.records.get('points') ?? []) rec.type = 'card.swipe';
  t.same(await c.retryDeadLetters(), { accepted: 6, remaining: 0 });
  t.same((await cloudCounts(house.id)).points, { n: 6, max: 6, contiguous: 6 });
});

t.test('cloud down: backoff grows with jitter under the cap, then recovers', async (t) => {
  const house = await newHouse();
  const down = await cloud();
  const port = down.port;
  await down.app.close();
  const src = new MemorySource(house.id);
  src.append('alarm', 50);
  const delays: { delay: number; failures: number; ceiling: number }[] = [];
  let enough: (() => void) | undefined;
  const gotEnough = new Promise<void>((resolve) => {
    enough = resolve;
  });
  const c = client(house, src, 'down.json', {
    cloudUrl: `http://127.0.0.1:${port}`,
    backoffBaseMs: 5,
    backoffCapMs: 80,
    onBackoff: (delay, failures, ceiling) => {
      delays.push({ delay, failures, ceiling });
      if (delays.length === 10) enough?.();
    },
  });
  c.start();
  await gotEnough;
  const st = await c.status();
  t.equal(st.lastError?.code, 'network');
  t.ok(st.consecutiveFailures >= 10);
  t.equal(st.streams.alarm?.backlog, 50);
  t.same(
    delays.slice(0, 6).map((d) => d.ceiling),
    [5, 10, 20, 40, 80, 80],
    'the ceiling doubles up to the cap',
  );
  t.ok(
    delays.every((d) => d.delay >= 2.5 && d.delay <= d.ceiling && d.delay <= 80),
    'each delay within [base/2, ceiling]',
  );
  t.ok(new Set(delays.slice(4).map((d) => d.delay)).size > 1, 'jittered');
  const up = await cloud(port);
  t.teardown(() => up.app.close());
  for (let i = 0; i < 200 && (await c.status()).backlog > 0; i++) await new Promise((r) => setTimeout(r, 10));
  await c.stop();
  t.equal((await c.status()).backlog, 0, 'recovered');
  t.same((await cloudCounts(house.id)).alarm, { n: 50, max: 50, contiguous: 50 });
  t.equal((await c.status()).consecutiveFailures, 0);
});

t.test('an edge clock an hour off is corrected from serverTime', async (t) => {
  const house = await newHouse();
  const src = new MemorySource(house.id);
  src.append('registry', 5);
  const log: { streams: string[]; status: number; bytes: number }[] = [];
  const c = client(house, src, 'clock.json', { now: () => Date.now() - 3600_000, fetch: spyFetch(log) });
  const r = await c.syncOnce();
  t.equal(r.stored, 5);
  t.same(
    log.map((l) => l.status),
    [401, 200],
  );
  t.ok(Math.abs((c.clockOffsetMs ?? 0) - 3600_000) < 5000, `offset learned: ${c.clockOffsetMs}`);
  src.append('registry', 5);
  await c.syncOnce();
  t.same(
    log.map((l) => l.status),
    [401, 200, 200],
    'signed right the first time after',
  );
});

t.test('413: batches shrink and all arrive', async (t) => {
  const house = await newHouse();
  const src = new MemorySource(house.id);
  src.append('device', 300, { pad: 1000 });
  const LIMIT = 64 * 1024;
  const sizes: number[] = [];
  // A proxy in front of the cloud with a tiny byte limit.
  const proxy: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    sizes.push(body.length);
    if (body.length > LIMIT) {
      res.writeHead(413, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          serverTime: new Date().toISOString(),
          statusCode: 413,
          code: 'batch-too-large',
          reason: `body of ${body.length} bytes is over ${LIMIT}`,
        }),
      );
      return;
    }
    const up = await fetch(`${main.url}${req.url}`, {
      method: 'POST',
      headers: { authorization: String(req.headers.authorization), 'content-type': 'application/json' },
      body,
    });
    res.writeHead(up.status, { 'content-type': 'application/json' });
    res.end(await up.text());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => proxy.close(() => r())));
  const c = client(house, src, '413.json', {
    cloudUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
  });
  const r = await c.syncOnce();
  t.equal(r.stored, 300);
  t.ok(
    sizes.some((s) => s > LIMIT),
    'some batches were refused',
  );
  t.ok(sizes.filter((s) => s > LIMIT).length <= 8, 'halving, not one by one');
  t.same((await cloudCounts(house.id)).device, { n: 300, max: 300, contiguous: 300 });
  t.same(await c.cursors(), { device: 300 });
});

t.test(
  'a gap in what was sent: the cursor stops at the cloud contiguous and resends from there',
  async (t) => {
    const house = await newHouse();
    const src = new MemorySource(house.id);
    src.append('service', 20);
    let first = true;
    // A source whose first read skips seq 6 (as a flaky reader might).
    const flaky: SyncSource = {
      lastSeq: (s) => src.lastSeq(s),
      async *read(stream, after) {
        for await (const r of src.read(stream, after)) {
          if (first && r.seq === 6) continue;
          yield r;
        }
        first = false;
      },
    };
    const log: { streams: string[]; status: number; bytes: number }[] = [];
    const c = client(house, flaky, 'gap.json', { fetch: spyFetch(log) });
    const r = await c.syncOnce();
    t.equal(r.requests, 2, 'one resend');
    t.equal(r.duplicates, 14, 'the cloud dedups the resent tail');
    t.same(await c.cursors(), { service: 20 });
    t.same((await cloudCounts(house.id)).service, { n: 20, max: 20, contiguous: 20 });
  },
);

t.test('stop({abort}) aborts the request in flight and loses no cursor', async (t) => {
  const house = await newHouse();
  const src = new MemorySource(house.id);
  src.append('alarm', 30);
  let n = 0;
  const c = client(house, src, 'abort.json', {
    maxBatchRecords: 10,
    fetch: async (input, init) => {
      n++;
      if (n === 2) {
        // Hangs until aborted.
        await new Promise((_r, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        );
      }
      return fetch(input, init);
    },
  });
  c.start();
  while (n < 2) await new Promise((r) => setTimeout(r, 5));
  await c.stop({ abort: true });
  t.same(await c.cursors(), { alarm: 10 }, 'the first batch is kept, the aborted one is not counted');
  const again = client(house, src, 'abort.json');
  const r = await again.syncOnce();
  t.equal(r.sent, 20);
  t.same((await cloudCounts(house.id)).alarm, { n: 30, max: 30, contiguous: 30 });
});
