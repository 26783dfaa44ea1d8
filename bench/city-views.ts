/**
 * The city views on PostgreSQL with a city's worth of data: 200 houses × 5,000 records each
 * (1,000,000 records: points, scans, device states and counters, alarm life cycles, registry
 * edits over two months), ingested through `ingest()` so the projections are kept as in
 * production, 300 resident entities per house with their party branch, a sync report per house.
 * Then each city view endpoint through the app (`inject`, a logged-in viewer), one request at a
 * time: p50/p99 per endpoint. Also the fill rate (with projections) and the projections' size.
 * Needs the machine's PostgreSQL (TESTBED.md); a fresh database is made and dropped.
 * Writes `<outDir>/city-views.json`.
 *
 *   node --import tsx bench/city-views.ts [--quick]      (--quick: 20 houses × 1,000 records)
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { v7 } from 'uuid';
import type { Stream, SyncRecord } from '../cloud-sync/protocol/record.js';
import { buildCloudApp } from '../cloud-sync/server/app.js';
import { touchHouse } from '../cloud-sync/server/cloud-auth.js';
import type { Db } from '../cloud-sync/server/db/db.js';
import { openDb } from '../cloud-sync/server/db/open.js';
import { requirePostgres, TestDatabases } from '../cloud-sync/server/db/test-targets.js';
import { ingest } from '../cloud-sync/server/ingest.js';
import { storeSyncReport } from '../cloud-sync/server/sync-report.js';
import { registerHouse } from '../cloud-sync/server/tenancy.js';
import { cli, isMain, machine, summarize, writeResult } from './lib.js';

const DISTRICTS = [
  '和平区',
  '沈河区',
  '大东区',
  '皇姑区',
  '铁西区',
  '浑南区',
  '于洪区',
  '沈北新区',
  '苏家屯区',
  '辽中区',
];
const DAY = 86_400_000;
const GOAL_P99_MS = 100;

/** A small deterministic generator (LCG). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `n` records of one house over the 60 days before `now`, in each stream's seq order. */
function houseRecords(house: string, n: number, now: number, seed: number): SyncRecord[] {
  const rnd = seeded(seed);
  const seqs: Partial<Record<Stream, number>> = {};
  const out: SyncRecord[] = [];
  const start = now - 60 * DAY;
  const step = (60 * DAY) / n;
  const add = (i: number, stream: Stream, type: string, body: Record<string, unknown>) => {
    const seq = (seqs[stream] ?? 0) + 1;
    seqs[stream] = seq;
    const ts = new Date(Math.floor(start + i * step)).toISOString();
    out.push({ id: v7(), house, stream, seq, type, ts, clock: 'synced', v: 1, body });
  };
  const open = new Map<string, number>();
  let alarmN = 0;
  for (let i = 0; i < n; i++) {
    const roll = rnd();
    const resident = `r-${Math.floor(rnd() * 300)}`;
    if (roll < 0.5) {
      if (rnd() < 0.8) {
        add(i, 'points', 'points.credited', {
          residentId: resident,
          itemId: 'study',
          points: 2 + Math.floor(rnd() * 2),
          sessionId: 's',
          deviceId: 'reader-1',
          capped: false,
        });
      } else {
        add(i, 'points', 'points.deducted', {
          residentId: resident,
          itemId: 'absence',
          points: -1,
          reason: 'absent',
          by: 'admin',
        });
      }
    } else if (roll < 0.8) {
      add(i, 'service', 'qr.scanned', { deviceId: 'scanner-1', text: 'x' });
    } else if (roll < 0.9) {
      const deviceId = `dev-${Math.floor(rnd() * 30)}`;
      if (rnd() < 0.7) {
        const online = rnd() < 0.8;
        add(i, 'device', 'device.status', {
          deviceId,
          online,
          ...(online ? {} : { reason: 'missed heartbeats' }),
        });
      } else {
        add(i, 'device', 'device.counters', {
          deviceId,
          from: 'a',
          to: 'b',
          events: 10,
          errors: 0,
          reconnects: 0,
        });
      }
    } else if (roll < 0.95) {
      // alarm life cycles: raise, then move an open one on
      const moving = [...open.entries()];
      if (moving.length === 0 || rnd() < 0.3) {
        const id = `al-${++alarmN}`;
        add(i, 'alarm', 'alarm.raised', {
          id,
          kind: rnd() < 0.5 ? 'sos' : 'service',
          deviceId: 'btn-1',
          assignedTo: resident,
        });
        open.set(id, 0);
      } else {
        const [id, step] = moving[Math.floor(rnd() * moving.length)] as [string, number];
        const type = ['alarm.notified', 'alarm.escalated', 'alarm.acknowledged', 'alarm.resolved'][
          step
        ] as string;
        add(i, 'alarm', type, { id, level: 1, by: 'duty', outcome: 'helped', channels: ['sms'] });
        if (step >= 3) open.delete(id);
        else open.set(id, step + 1);
      }
    } else {
      add(i, 'registry', 'resident.created', { residentId: resident });
    }
  }
  return out;
}

export async function fill(db: Db, houses: number, perHouse: number, now: number, key: Buffer) {
  const ids: string[] = [];
  for (let i = 0; i < houses; i++) {
    const { id } = await registerHouse(
      db,
      {
        city: '沈阳市',
        district: DISTRICTS[i % DISTRICTS.length] as string,
        street: `街道 ${i % 3}`,
        community: `社区 ${i % 7}`,
        name: `房屋 ${i}`,
      },
      key,
    );
    ids.push(id);
  }
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const n = next++;
      const house = ids[n] as string;
      const records = houseRecords(house, perHouse, now, n + 1);
      for (let i = 0; i < records.length; i += 1000) {
        const r = await ingest(db, house, records.slice(i, i + 1000), []);
        if (r.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(r.rejected[0])}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const ingestS = (performance.now() - t0) / 1000;
  for (const [n, house] of ids.entries()) {
    await db.query(
      `INSERT INTO config_entities (house, kind, id, version, data, sealed)
       SELECT $1, 'resident', 'r-' || g, 1,
              jsonb_build_object('roles', jsonb_build_array('party-member'), 'branch', $2 || ' 第' || (g % 5) || '支部'),
              'sealed'
         FROM generate_series(0, 299) g`,
      [house, DISTRICTS[n % DISTRICTS.length]],
    );
    // a tenth of the houses silent for a day, the rest in contact within the minute
    await touchHouse(db, house, n % 10 === 0 ? now - DAY : now - (n % 60) * 1000);
    await storeSyncReport(
      db,
      house,
      {
        version: '0.1.0',
        at: new Date(now).toISOString(),
        streams: { service: { lastSeq: 1, backlog: n % 4, oldestUnsyncedAgeMs: n % 4 ? 5000 * n : null } },
        backlog: n % 4,
        deadLetters: n % 13 === 0 ? 1 : 0,
        clockOffsetMs: 0,
        configVersion: 1,
        diskFreeBytes: null,
      },
      now,
    );
  }
  await db.exec('ANALYZE');
  return {
    houses,
    records: houses * perHouse,
    ingestS: Math.round(ingestS * 10) / 10,
    recordsPerS: Math.round((houses * perHouse) / ingestS),
  };
}

export async function run(opts: { quick: boolean; outDir: string }): Promise<object> {
  await requirePostgres();
  const houses = opts.quick ? 20 : 200;
  const perHouse = opts.quick ? 1000 : 5000;
  const reps = opts.quick ? 30 : 200;
  const databases = new TestDatabases('bench_city');
  try {
    const db = await openDb({ databaseUrl: await databases.create() });
    try {
      const key = randomBytes(32);
      const now = Date.now();
      const filled = await fill(db, houses, perHouse, now, key);
      const password = randomBytes(12).toString('hex');
      const app = await buildCloudApp({ db, cloudKey: key, adminPassword: password });
      try {
        const login = await app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'admin', password },
        });
        const token = (login.json() as { token: string }).token;
        const [one] = await db.query<{ id: string }>('SELECT id FROM houses ORDER BY id LIMIT 1');
        const d = encodeURIComponent(DISTRICTS[1] as string);
        const branch = encodeURIComponent(`${DISTRICTS[1]} 第2支部`);
        const endpoints: Record<string, string> = {
          houses: 'houses',
          housesDistrict: `houses?district=${d}`,
          housesSilent: 'houses?health=silent',
          devices: 'devices',
          devicesOffline: 'devices?offline=true',
          alarms: 'alarms',
          alarmsDistrict: `alarms?district=${d}`,
          rankings: 'rankings',
          rankingsDistrict: `rankings?district=${d}`,
          rankingsBranch: `rankings?branch=${branch}`,
          recordsPerDay30: 'records-per-day?days=30',
          recordsPerDay30District: `records-per-day?days=30&district=${d}`,
          recordsPerDay30House: `records-per-day?days=30&house=${one?.id}`,
          places: 'places',
        };
        const latency: Record<string, ReturnType<typeof summarize> & { bytes: number }> = {};
        for (const [name, path] of Object.entries(endpoints)) {
          const get = () =>
            app.inject({
              method: 'GET',
              url: `/api/v1/city/${path}`,
              headers: { authorization: `Bearer ${token}` },
            });
          let bytes = 0;
          for (let i = 0; i < 5; i++) {
            const r = await get();
            if (r.statusCode !== 200) throw new Error(`${path}: ${r.statusCode} ${r.body}`);
            bytes = r.body.length;
          }
          const samples: number[] = [];
          for (let i = 0; i < reps; i++) {
            const t0 = performance.now();
            await get();
            samples.push(performance.now() - t0);
          }
          latency[name] = { ...summarize(samples), bytes };
          process.stdout.write(`  ${name}: p50 ${latency[name]?.p50Ms} ms, p99 ${latency[name]?.p99Ms} ms\n`);
        }
        const sizes = await db.query<{ name: string; mb: number }>(
          `SELECT c.relname AS name, round(pg_total_relation_size(c.oid) / 1048576.0, 1)::float8 AS mb
             FROM pg_class c WHERE c.relname IN ('records', 'records_daily', 'device_state', 'alarm_state',
                  'points_monthly', 'stream_state', 'house_reports', 'config_entities') ORDER BY c.relname`,
        );
        const worst = Math.max(...Object.values(latency).map((l) => l.p99Ms));
        const report = {
          machine: machine(),
          db: 'postgres',
          fill: filled,
          reps,
          latency,
          sizesMB: Object.fromEntries(sizes.map((s) => [s.name, s.mb])),
          goals: {
            cityViewsP99: {
              target: `every city view ≤ ${GOAL_P99_MS} ms p99 (${houses} houses × ${perHouse} records)`,
              worst,
              pass: worst <= GOAL_P99_MS,
            },
          },
        };
        await writeResult(opts.outDir, 'city-views', report);
        return report;
      } finally {
        await app.close();
      }
    } finally {
      await db.close();
    }
  } finally {
    await databases.dropAll();
  }
}

if (isMain(import.meta.url)) await cli(run);
