/** A points service over a real record log in a temporary directory, on a settable clock (tests, benchmarks). */

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordLog } from '../store/record-log.js';
import { SnapshotStore } from '../store/snapshot-store.js';
import type { PointsItem, PointsScheme } from './catalogue.js';
import { PointsService } from './points-service.js';

export const TEST_TZ = 'Asia/Shanghai';

export const TEST_ITEMS: PointsItem[] = [
  { id: 'study-group', name: '集中学习', category: 'study', points: 2, cap: { per: 'year', max: 12 } },
  { id: 'volunteer', name: '志愿服务', category: 'practice', points: 3, cap: { per: 'month', max: 5 } },
  { id: 'absence', name: '无故缺席', category: 'deduction', points: -3 },
];

export const TEST_SCHEME: PointsScheme = {
  items: TEST_ITEMS,
  goods: [
    { id: 'toothpaste', name: '牙膏', points: 2 },
    { id: 'rice', name: '大米', points: 6 },
  ],
  redeemable: ['practice'],
  balance: 'rollover',
  assessment: { scope: 'branch', rules: [{ flag: 'red', minPoints: 5 }, { flag: 'yellow' }] },
};

/** Members without branch or community. */
export const members = (...ids: string[]) => ids.map((id) => ({ id }));

export async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'linli-points-'));
}

/** Opens (or re-opens) the service in `dir`; `clock.t` is the time of every record. */
export async function openPoints(dir: string, clock: { t: number }, scheme: PointsScheme = TEST_SCHEME) {
  const now = () => clock.t;
  const records = await RecordLog.open({
    dir: join(dir, 'records'),
    house: 'h',
    clock: () => 'unsynced',
    now,
  });
  const snapshots = await SnapshotStore.open(join(dir, 'snapshots'));
  const points = await PointsService.open(records, snapshots, scheme, TEST_TZ, now);
  return { records, points };
}
