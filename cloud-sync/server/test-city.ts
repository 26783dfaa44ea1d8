/**
 * The city views' test data: three houses in two districts of 沈阳市 with devices, alarms, points,
 * scans and sync reports, residents' party branches in `config_entities` (written with SQL, as the
 * config API would), and a viewer — as of {@link NOW}, 2025-11-15 12:00 in Beijing.
 */
import { SYNC_STATUS_PATH } from '../protocol/status.js';
import { rec, type TestCloud, type TestEdge } from './test-cloud.js';

/** 2025-11-15 12:00 in Beijing. */
export const NOW = Date.UTC(2025, 10, 15, 4, 0);
const H = 3600_000;

export interface Fixture {
  cloud: TestCloud;
  viewer: string;
  h1: TestEdge;
  h2: TestEdge;
  h3: TestEdge;
}

export async function cityFixture(cloud: TestCloud): Promise<Fixture> {
  const { clock, db } = cloud;
  clock.now = NOW - 2 * H;
  const admin = await cloud.login();
  await cloud.request('POST', '/api/users', {
    headers: { authorization: `Bearer ${admin}` },
    payload: { username: 'city-viewer', role: 'viewer', password: 'viewer-password-1' },
  });
  const viewer = await cloud.login('city-viewer', 'viewer-password-1');
  const h1 = await cloud.register({
    district: '和平区',
    street: '南湖街道',
    community: '文安路社区',
    name: '一号',
  });
  const h2 = await cloud.register({
    district: '和平区',
    street: '南湖街道',
    community: '三好社区',
    name: '二号',
  });
  const h3 = await cloud.register({
    district: '沈河区',
    street: '大东街道',
    community: '北站社区',
    name: '三号',
  });

  // h2 speaks once, two hours ago, then never again: silent
  await cloud.sync(h2, [rec(h2, 'service', 1, 'qr.scanned', { deviceId: 'scanner-1' }, { ts: NOW - 2 * H })]);

  clock.now = NOW - 60_000;
  const day = (d: number, hour = 10) => Date.UTC(2025, 10, 15 - d, hour - 8, 0); // hour in Beijing
  await cloud.sync(h1, [
    rec(h1, 'device', 1, 'device.status', { deviceId: 'btn-1', online: true }, { ts: day(3) }),
    rec(h1, 'device', 2, 'device.status', { deviceId: 'btn-2', online: true }, { ts: day(3) }),
    rec(h1, 'device', 3, 'device.status', { deviceId: 'reader-1', online: true }, { ts: day(3) }),
    rec(
      h1,
      'device',
      4,
      'device.status',
      { deviceId: 'btn-2', online: false, reason: 'missed heartbeats' },
      { ts: day(1) },
    ),
    rec(h1, 'device', 5, 'device.counters', {
      deviceId: 'kiosk-1',
      from: 'a',
      to: 'b',
      events: 3,
      errors: 0,
      reconnects: 0,
    }),
    rec(
      h1,
      'alarm',
      1,
      'alarm.raised',
      { id: 'al-1', kind: 'sos', deviceId: 'btn-1', assignedTo: 'r-1' },
      { ts: day(2) },
    ),
    rec(
      h1,
      'alarm',
      2,
      'alarm.raised',
      { id: 'al-2', kind: 'service', deviceId: 'btn-2', assignedTo: '3号楼大厅' },
      { ts: day(1) },
    ),
    rec(h1, 'alarm', 3, 'alarm.acknowledged', { id: 'al-2', by: 'duty-zhang' }, { ts: day(1, 11) }),
    rec(
      h1,
      'alarm',
      4,
      'alarm.raised',
      { id: 'al-3', kind: 'sos', deviceId: 'btn-1', assignedTo: 'r-2' },
      { ts: day(0, 9) },
    ),
    rec(
      h1,
      'alarm',
      5,
      'alarm.resolved',
      { id: 'al-3', by: 'duty-zhang', outcome: 'test', note: '张三 ok' },
      { ts: day(0, 10) },
    ),
    rec(
      h1,
      'points',
      1,
      'points.credited',
      { residentId: 'r-1', itemId: 'study', points: 5 },
      { ts: day(2) },
    ),
    rec(
      h1,
      'points',
      2,
      'points.credited',
      { residentId: 'r-2', itemId: 'study', points: 3 },
      { ts: day(2) },
    ),
    rec(
      h1,
      'points',
      3,
      'points.credited',
      { residentId: 'r-3', itemId: 'study', points: 3 },
      { ts: day(2) },
    ),
    rec(
      h1,
      'points',
      4,
      'points.credited',
      { residentId: 'r-4', itemId: 'study', points: 1 },
      { ts: day(2) },
    ),
    // October in Beijing (23:30 on the 31st), though November 1st's date in… no: still October 31 in UTC too
    rec(
      h1,
      'points',
      5,
      'points.credited',
      { residentId: 'r-1', itemId: 'study', points: 50 },
      { ts: Date.UTC(2025, 9, 31, 15, 30) },
    ),
    // November 1st 00:30 in Beijing, October 31st in UTC: counts for November
    rec(
      h1,
      'points',
      6,
      'points.credited',
      { residentId: 'r-4', itemId: 'study', points: 2 },
      { ts: Date.UTC(2025, 9, 31, 16, 30) },
    ),
  ]);
  await cloud.signedPost(
    h1,
    SYNC_STATUS_PATH,
    JSON.stringify({
      version: '0.1.0',
      at: new Date(clock.now).toISOString(),
      streams: {
        alarm: { lastSeq: 5, backlog: 0, oldestUnsyncedAgeMs: null },
        service: { lastSeq: 30, backlog: 30, oldestUnsyncedAgeMs: 20_000 },
      },
      backlog: 30,
      deadLetters: 0,
      clockOffsetMs: -150,
      configVersion: 4,
      diskFreeBytes: 1e9,
    }),
  );
  await cloud.sync(h3, [
    rec(
      h3,
      'points',
      1,
      'points.credited',
      { residentId: 'r-1', itemId: 'study', points: 5 },
      { ts: day(1) },
    ),
    rec(
      h3,
      'points',
      2,
      'points.deducted',
      { residentId: 'r-2', itemId: 'absence', points: -1 },
      { ts: day(1) },
    ),
    rec(
      h3,
      'points',
      4,
      'points.credited',
      { residentId: 'r-2', itemId: 'study', points: 9 },
      { ts: day(1) },
    ),
    rec(h3, 'service', 1, 'qr.scanned', { deviceId: 'scanner-1' }, { ts: day(0, 8), clock: 'unsynced' }),
    rec(h3, 'service', 2, 'qr.scanned', { deviceId: 'scanner-1' }, { ts: day(0, 9) }),
  ]);
  await cloud.signedPost(
    h3,
    SYNC_STATUS_PATH,
    JSON.stringify({
      version: '0.1.0',
      at: new Date(clock.now).toISOString(),
      streams: { points: { lastSeq: 4, backlog: 0, oldestUnsyncedAgeMs: null } },
      backlog: 0,
      deadLetters: 2,
      clockOffsetMs: 0,
      configVersion: 4,
      diskFreeBytes: null,
    }),
  );

  // Residents' branches, as the config API stores them (the names sealed, never read here).
  const entity = (house: string, id: string, data: unknown, deleted = false) =>
    db.query(
      `INSERT INTO config_entities (house, kind, id, version, deleted, data, sealed)
       VALUES ($1, 'resident', $2, 1, $3, $4::text::jsonb, 'sealed-name')`,
      [house, id, deleted, JSON.stringify(data)],
    );
  await entity(h1.house, 'r-1', { roles: ['party-member'], branch: '第一支部' });
  await entity(h1.house, 'r-2', { roles: ['party-member'], branch: '第二支部' });
  await entity(h1.house, 'r-3', { roles: [], branch: '第一支部' }, true);
  await entity(h1.house, 'r-4', { roles: [], branch: 7 });
  await entity(h3.house, 'r-1', { roles: ['party-member'], branch: '第一支部' });
  clock.now = NOW;
  return { cloud, viewer, h1, h2, h3 };
}
