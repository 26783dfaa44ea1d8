/**
 * A year of party-member points for the points benchmarks: `members` residents with a party card
 * each, in 20 branches of 2 communities, and a journal holding a year of weekly branch sessions
 * in which about half the members swipe (`session.opened`, `card.swipe`, `points.credited`,
 * `session.closed`, stamped through 2026 in Beijing time), topped up with device records to
 * `totalRecords`. Written straight through the edge's own stores, 64 appends in flight.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Stream } from '../cloud-sync/protocol/record.js';
import { loadScheme } from '../edge/points/catalogue.js';
import {
  type CardRow,
  EDGE_STATE_MIGRATIONS,
  type EdgeState,
  emptyEdgeState,
  type ResidentRow,
} from '../edge/state/edge-state.js';
import { RecordLog } from '../edge/store/record-log.js';
import { openStateStore } from '../edge/store/state-store.js';
import { packageRoot } from './lib.js';

export const HOUSE = 'demo-house';
export const BRANCHES = 20;
const IN_FLIGHT = 64;
const YEAR_START = Date.parse('2025-12-31T16:00:00.000Z'); // 1 January 2026, 00:00 in Beijing
const WEEK = 7 * 86_400_000;

export const memberId = (i: number) => `m-${String(i).padStart(5, '0')}`;
export const memberUid = (i: number) => `04${(0x100000 + i).toString(16).toUpperCase().padStart(6, '0')}`;
const surnames = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗';
const given = '建国桂兰明华秀英志强丽娟海燕德胜玉梅春生';

/** Residents and their party cards, straight into the state file. */
async function writeState(dataDir: string, members: number): Promise<void> {
  const state = await openStateStore<EdgeState>(join(dataDir, 'state.json'), emptyEdgeState(), {
    migrations: EDGE_STATE_MIGRATIONS,
  });
  const at = new Date(YEAR_START).toISOString();
  const residents: ResidentRow[] = [];
  const cards: CardRow[] = [];
  for (let i = 0; i < members; i++) {
    const name = `${surnames[i % 20]}${given[(i * 7) % 16]}${given[(i * 3 + 1) % 16]}`;
    residents.push({
      id: memberId(i),
      name,
      roles: ['party-member'],
      emergencyContacts: [],
      createdAt: at,
      updatedAt: at,
      branch: `第${(i % BRANCHES) + 1}支部`,
      community: i % 2 ? '幸福里社区' : '永昌社区',
    });
    cards.push({
      uid: memberUid(i),
      residentId: memberId(i),
      kind: 'party',
      state: 'active',
      boundAt: at,
      changedAt: at,
    });
  }
  await state.update((d) => {
    d.residents = residents;
    d.cards = cards;
  });
}

/** Deterministic pseudo-random numbers (the same year every run). */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface YearFill {
  members: number;
  records: number;
  pointsRecords: number;
  credits: number;
  seconds: number;
}

/** Writes the state and the journal of a year into `dataDir` (which the edge then opens). */
export async function writeYear(dataDir: string, members: number, totalRecords: number): Promise<YearFill> {
  const t0 = performance.now();
  await writeState(dataDir, members);
  const items = loadScheme(join(packageRoot(), 'edge', 'points', 'catalogue.zh.json')).items.filter(
    (i) => i.category !== 'deduction',
  );
  let clock = YEAR_START;
  const log = await RecordLog.open({
    dir: join(dataDir, 'records'),
    house: HOUSE,
    clock: () => 'unsynced',
    now: () => clock,
  });
  const rand = prng(2026);
  let pending: Promise<unknown>[] = [];
  let pointsRecords = 0;
  let credits = 0;
  const append = async (stream: Stream, type: string, body: Record<string, unknown>) => {
    if (stream === 'points') pointsRecords++;
    pending.push(log.append(stream, type, body));
    if (pending.length >= IN_FLIGHT) {
      await Promise.all(pending);
      pending = [];
    }
  };
  const flush = async () => {
    await Promise.all(pending);
    pending = [];
  };
  let session = 0;
  for (let week = 0; week < 52; week++) {
    for (let b = 0; b < BRANCHES; b++) {
      clock = YEAR_START + week * WEEK + b * 3_600_000;
      const item = items[(week + b) % items.length] as (typeof items)[number];
      const sessionId = `s-${String(++session).padStart(5, '0')}`;
      const reader = `rd-${b % 4}`;
      await append('points', 'session.opened', {
        sessionId,
        itemId: item.id,
        readers: [reader],
        by: 'staff',
      });
      await flush(); // opened before anyone swipes
      for (let i = b; i < members; i += BRANCHES) {
        if (rand() >= 0.5) continue;
        clock += 50;
        await append('points', 'card.swipe', {
          deviceId: reader,
          result: 'ok',
          residentId: memberId(i),
          kind: 'party',
          sessionId,
        });
        await append('points', 'points.credited', {
          residentId: memberId(i),
          itemId: item.id,
          category: item.category,
          points: item.points,
          sessionId,
          deviceId: reader,
          capped: false,
          approvedBy: 'staff',
        });
        credits++;
      }
      await flush();
      await append('points', 'session.closed', { sessionId, by: 'staff' });
    }
  }
  await flush();
  // The rest of the house's year: device state changes and counters.
  let n = 0;
  while (log.lastLsn + pending.length < totalRecords) {
    clock = YEAR_START + Math.floor((n / Math.max(1, totalRecords - pointsRecords)) * 52 * WEEK);
    await append('device', 'device.counters', { deviceId: `dev-${n % 50}`, events: n % 97, errors: 0 });
    n++;
  }
  await flush();
  const records = log.lastLsn;
  await log.close();
  return {
    members,
    records,
    pointsRecords,
    credits,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}
