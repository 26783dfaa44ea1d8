/**
 * Sync fan-in (issue 5): 200 houses (quick: 20) posting record batches at once to ONE `linli-cloud`
 * process (the built `bin/linli-cloud.js`) on the machine's PostgreSQL (a fresh database, dropped
 * after). Each house is registered through the cloud's API (`POST /api/v1/houses`, id and secret)
 * and signs its requests exactly as the edge does (`SignedRequester`: LINLI-HMAC, nonce, learned
 * clock offset). Every house sends its batches one after another, as the real client does (one
 * request in flight per house), all houses at the same time: 20 batches of 100 records each (quick:
 * 10), bodies as in sync-backlog.ts, each stream's seqs from 1. The bodies are built before the
 * clock starts.
 *
 * Measured: records/s over the whole run (first send to last answer) and each batch's latency
 * (send → answer) p50/p99; then the cloud must hold every record (count per house and stream, no
 * rejections). The load generator runs on the same 2 shared vCPUs as the cloud and PostgreSQL;
 * the load average is recorded. Writes `<outDir>/sync-fan-in.json`.
 *
 *   node --import tsx bench/sync-fan-in.ts [--quick]      (linli-cloud must be built)
 */
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { v7 } from 'uuid';
import { SignedRequester } from '../cloud-sync/client/signed-requester.js';
import type { Stream } from '../cloud-sync/protocol/record.js';
import { openDb } from '../cloud-sync/server/db/open.js';
import { requirePostgres, TestDatabases } from '../cloud-sync/server/db/test-targets.js';
import { registerHouse, startCloud } from '../test/helpers/cloud-process.js';
import { cli, isMain, machine, summarize, tempDir, writeResult } from './lib.js';
import { recordOf, streamOf } from './sync-backlog.js';

const PATH = '/api/v1/sync/records';
const load = () => loadavg().map((v) => Math.round(v * 100) / 100);

/** A house's batches as the request bodies its edge would send. */
function houseBatches(house: string, batches: number, perBatch: number, salt: number): string[] {
  const seqs = new Map<Stream, number>();
  const out: string[] = [];
  const t = Date.now();
  for (let b = 0; b < batches; b++) {
    const records: string[] = [];
    for (let i = 0; i < perBatch; i++) {
      const n = salt * 1_000_003 + b * perBatch + i;
      const stream = streamOf(n);
      const seq = (seqs.get(stream) ?? 0) + 1;
      seqs.set(stream, seq);
      const { type, body } = recordOf(stream, n);
      const ts = new Date(t - (batches * perBatch - b * perBatch - i) * 1000).toISOString();
      records.push(JSON.stringify({ id: v7(), house, stream, seq, type, ts, clock: 'synced', v: 1, body }));
    }
    out.push(`{"records":[${records.join(',')}]}`);
  }
  return out;
}

export async function run(opts: { quick: boolean; outDir: string }): Promise<object> {
  await requirePostgres();
  const houses = opts.quick ? 20 : 200;
  const batches = opts.quick ? 10 : 20;
  const perBatch = 100;
  const databases = new TestDatabases('bench_fanin');
  const dir = await tempDir('linli-fanin-');
  try {
    const databaseUrl = await databases.create();
    const cloud = await startCloud({ dataDir: join(dir, 'cloud'), databaseUrl });
    try {
      const registered = [];
      for (let i = 0; i < houses; i++) registered.push(await registerHouse(cloud.url, `fan-in ${i}`));
      const bodies = registered.map((h, i) => houseBatches(h.id, batches, perBatch, i));
      const stop = new AbortController();
      const latencies: number[] = [];
      const problems: string[] = [];
      const loadBefore = load();
      const t0 = performance.now();
      await Promise.all(
        registered.map(async (h, i) => {
          const requester = new SignedRequester({
            cloudUrl: cloud.url,
            house: h.id,
            secret: h.secret,
            now: Date.now,
            fetch,
            requestTimeoutMs: 60_000,
          });
          for (const body of bodies[i] as string[]) {
            const s = performance.now();
            const a = await requester.request('POST', PATH, body, stop.signal);
            latencies.push(performance.now() - s);
            if (a.status !== 200 || a.json.stored !== perBatch) {
              problems.push(`${h.id}: ${a.status} ${JSON.stringify(a.json).slice(0, 200)}`);
            }
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const loadAfter = load();
      const total = houses * batches * perBatch;
      const db = await openDb({ databaseUrl });
      let held: { records: number; rejections: number; housesComplete: number };
      try {
        const [r] = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM records');
        const [j] = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM rejections');
        const [c] = await db.query<{ n: number }>(
          `SELECT count(*)::int8 AS n FROM (
             SELECT house FROM records GROUP BY house HAVING count(*) = $1) x`,
          [batches * perBatch],
        );
        held = { records: r?.n ?? 0, rejections: j?.n ?? 0, housesComplete: c?.n ?? 0 };
      } finally {
        await db.close();
      }
      if (problems.length > 0 || held.records !== total || held.housesComplete !== houses) {
        throw new Error(`fan-in lost records: ${JSON.stringify(held)} ${problems.slice(0, 3).join('; ')}`);
      }
      const latency = summarize(latencies);
      const report = {
        bench: 'sync-fan-in',
        at: new Date().toISOString(),
        machine: machine(),
        db: 'postgres',
        houses,
        batchesPerHouse: batches,
        recordsPerBatch: perBatch,
        meanBatchBytes: Math.round(
          bodies.flat().reduce((a, b) => a + Buffer.byteLength(b), 0) / (houses * batches),
        ),
        records: total,
        seconds: Math.round(seconds * 100) / 100,
        recordsPerS: Math.round(total / seconds),
        batchLatencyMs: latency,
        held,
        loadAverage: { before: loadBefore, after: loadAfter },
      };
      process.stdout.write(
        `  ${houses} houses: ${report.recordsPerS} records/s, batch p50/p99 ${latency.p50Ms}/${latency.p99Ms} ms\n`,
      );
      await writeResult(opts.outDir, 'sync-fan-in', report);
      return report;
    } finally {
      await cloud.stop();
    }
  } finally {
    await databases.dropAll();
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await cli(run);
