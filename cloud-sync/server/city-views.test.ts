/**
 * The city views API (`/api/v1/city/…`), one suite on both targets: three houses in two districts
 * with devices, alarms, points, scans and sync reports; each view's answer, filters, paging,
 * health verdicts by the clock, rankings by district and by party branch (branches from
 * `config_entities`, written here with SQL as the config API would), records per day in Beijing
 * time — and no names or users' names in any answer.
 */
import t from 'tap';
import type { OpenAlarm } from './city/alarm-view.js';
import type { DailyAnswer } from './city/daily-view.js';
import type { HouseDevices } from './city/device-view.js';
import type { HouseView } from './city/house-view.js';
import type { RankedMember } from './city/ranking-view.js';
import { cityDay } from './city-time.js';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { cityFixture, NOW } from './test-city.js';
import { Clock, TestCloud, targets } from './test-cloud.js';

await requirePostgres();
const databases = new TestDatabases('city');
t.teardown(() => databases.dropAll());

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

for (const target of targets(databases)) {
  t.test(target.name, async (t) => {
    const { db } = await target.open();
    t.teardown(() => db.close());
    const cloud = await TestCloud.start(db, new Clock(NOW));
    t.teardown(() => cloud.close());
    const { viewer, h1, h2, h3 } = await cityFixture(cloud);
    const get = async (path: string) => {
      const r = await cloud.get(`/api/v1/city/${path}`, viewer);
      t.match(r.json.serverTime, ISO, path);
      t.notOk(/duty-zhang|张三|sealed-name/.test(r.raw), `${path}: no user or resident names`);
      return r;
    };

    t.test('cloud users only', async (t) => {
      for (const path of ['houses', 'devices', 'alarms', 'rankings', 'records-per-day', 'places']) {
        const r = await cloud.request('GET', `/api/v1/city/${path}`);
        t.same([r.status, r.json.code], [401, 'auth-required'], path);
      }
    });

    t.test('houses: place, contact, the edge’s report, the cloud’s streams, a verdict', async (t) => {
      const r = await get('houses');
      t.equal(r.status, 200);
      t.same(r.json.summary, { ok: 1, behind: 1, silent: 1 });
      t.equal(r.json.total, 3);
      const houses = r.json.houses as HouseView[];
      t.same(
        houses.map((h) => h.place.name),
        ['二号', '一号', '三号'],
        'by place: 和平区/南湖街道/三好社区, …/文安路社区, 沈河区',
      );
      const one = houses.find((h) => h.id === h1.house) as HouseView;
      t.match(one, {
        place: {
          city: '沈阳市',
          district: '和平区',
          street: '南湖街道',
          community: '文安路社区',
          name: '一号',
        },
        registeredAt: ISO,
        lastContactAt: new Date(NOW - 60_000).toISOString(),
        health: { verdict: 'ok', reasons: [] },
        edge: {
          version: '0.1.0',
          backlog: 30,
          oldestUnsyncedAgeMs: 80_000, // 20 s reported, a minute ago
          deadLetters: 0,
          clockOffsetMs: -150,
          configVersion: 4,
          streams: { service: { backlog: 30, oldestUnsyncedAgeMs: 80_000 } },
        },
        cloud: {
          records: 16,
          streams: {
            device: { contiguous: 5, maxSeq: 5, gaps: 0, records: 5, rejections: 0 },
            alarm: { contiguous: 5, records: 5 },
            points: { contiguous: 6, records: 6 },
          },
        },
      });
      const two = houses.find((h) => h.id === h2.house) as HouseView;
      t.match(two, { health: { verdict: 'silent', reasons: [/no contact for 7200 s/] }, edge: null });
      const three = houses.find((h) => h.id === h3.house) as HouseView;
      t.match(three, {
        health: { verdict: 'behind', reasons: ['2 dead letters'] },
        cloud: { streams: { points: { contiguous: 2, maxSeq: 4, gaps: 1, records: 3 } } },
      });

      const lenient = await get('houses?silentAfterS=10800');
      t.same(lenient.json.summary, { ok: 2, behind: 1, silent: 0 }, 'silent after 3 h instead');
      const strict = await get('houses?behindAfterS=60');
      t.same(
        strict.json.summary,
        { ok: 0, behind: 2, silent: 1 },
        'an 80 s old unsynced record is behind a 60 s bound',
      );
      t.match((strict.json.houses as HouseView[]).find((h) => h.id === h1.house)?.health.reasons, [
        /oldest unsynced record 80 s old/,
      ]);
    });

    t.test('houses: filters and paging', async (t) => {
      const district = await get(`houses?district=${encodeURIComponent('沈河区')}`);
      t.same(
        (district.json.houses as HouseView[]).map((h) => h.id),
        [h3.house],
      );
      const silent = await get('houses?health=silent');
      t.same([silent.json.total, (silent.json.houses as HouseView[]).map((h) => h.id)], [1, [h2.house]]);
      const page2 = await get('houses?limit=2&offset=2');
      t.same([page2.json.total, (page2.json.houses as HouseView[]).length], [3, 1]);
      const past = await get('houses?offset=10');
      t.same([past.json.total, (past.json.houses as HouseView[]).length], [3, 0]);
      const one = await get(`houses?house=${h1.house}`);
      t.equal((one.json.houses as HouseView[]).length, 1);
      for (const bad of [
        'limit=501',
        'limit=0',
        'offset=-1',
        'health=dead',
        'silentAfterS=1',
        'house=../x',
      ]) {
        const r = await cloud.get(`/api/v1/city/houses?${bad}`, viewer);
        t.same([r.status, r.json.code], [400, 'bad-request'], bad);
      }
    });

    t.test('devices: counts per house, offline devices with since and why', async (t) => {
      const r = await get('devices');
      t.same(r.json.summary, { houses: 3, housesWithOffline: 1, online: 2, offline: 1, unknown: 1 });
      const houses = r.json.houses as HouseDevices[];
      t.equal(houses[0]?.id, h1.house, 'houses with offline devices first');
      t.match(houses[0], {
        online: 2,
        offline: 1,
        unknown: 1,
        offlineDevices: [
          {
            deviceId: 'btn-2',
            reason: 'missed heartbeats',
            since: new Date(Date.UTC(2025, 10, 14, 2)).toISOString(),
            clock: 'synced',
            receivedAt: ISO,
          },
        ],
      });
      const only = await get('devices?offline=true');
      t.same([only.json.total, (only.json.houses as HouseDevices[]).map((h) => h.id)], [1, [h1.house]]);
    });

    t.test('alarms: open ones across houses, oldest first, by state and kind', async (t) => {
      const r = await get('alarms');
      t.same(r.json.summary, { raised: 1, notified: 0, escalated: 0, acknowledged: 1 });
      t.equal(r.json.total, 2);
      const alarms = r.json.alarms as OpenAlarm[];
      t.same(
        alarms.map((a) => a.alarmId),
        ['al-1', 'al-2'],
      );
      t.match(alarms[0], {
        house: h1.house,
        place: { district: '和平区', name: '一号' },
        kind: 'sos',
        state: 'raised',
        deviceId: 'btn-1',
        assignedTo: 'r-1',
        raisedAt: new Date(Date.UTC(2025, 10, 13, 2)).toISOString(),
        ageS: 2 * 86400 + 2 * 3600,
        acknowledgedAt: null,
      });
      t.match(alarms[1], { state: 'acknowledged', assignedTo: '3号楼大厅', acknowledgedAt: ISO });
      const acked = await get('alarms?state=acknowledged');
      t.same(
        (acked.json.alarms as OpenAlarm[]).map((a) => a.alarmId),
        ['al-2'],
      );
      const both = await get('alarms?state=raised,acknowledged&kind=sos');
      t.same([both.json.total, (both.json.alarms as OpenAlarm[]).map((a) => a.alarmId)], [1, ['al-1']]);
      const elsewhere = await get(`alarms?district=${encodeURIComponent('沈河区')}`);
      t.equal(elsewhere.json.total, 0);
      const bad = await cloud.get('/api/v1/city/alarms?state=resolved', viewer);
      t.equal(bad.status, 400, 'resolved is not open');
    });

    t.test('rankings: this month across houses, by district, by party branch', async (t) => {
      const r = await get('rankings');
      t.equal(r.json.month, '2025-11');
      const rows = (r.json.rows as RankedMember[]).map((x) => [
        x.rank,
        x.house === h1.house ? 'h1' : 'h3',
        x.residentId,
        x.branch,
        x.points,
      ]);
      t.same(rows, [
        [1, 'h3', 'r-2', null, 8], // no resident entity in h3: no branch
        [2, 'h1', 'r-1', '第一支部', 5],
        [2, 'h3', 'r-1', '第一支部', 5],
        [4, 'h1', 'r-2', '第二支部', 3],
        [4, 'h1', 'r-3', null, 3], // its entity is deleted
        [4, 'h1', 'r-4', null, 3], // 1 + 2 on November 1st, 00:30 in Beijing; its branch is not text
      ]);
      t.equal(r.json.total, 6);
      const october = await get('rankings?month=2025-10');
      t.same(
        (october.json.rows as RankedMember[]).map((x) => [x.residentId, x.points]),
        [['r-1', 50]],
        'the 31st at 23:30 in Beijing is October; 00:30 on the 1st is November',
      );
      const district = await get(`rankings?district=${encodeURIComponent('沈河区')}`);
      t.same(
        (district.json.rows as RankedMember[]).map((x) => [x.rank, x.residentId, x.points]),
        [
          [1, 'r-2', 8],
          [2, 'r-1', 5],
        ],
      );
      const branch = await get(`rankings?branch=${encodeURIComponent('第一支部')}`);
      t.same(
        (branch.json.rows as RankedMember[]).map((x) => [
          x.rank,
          x.house === h1.house ? 'h1' : 'h3',
          x.residentId,
        ]),
        [
          [1, 'h1', 'r-1'],
          [1, 'h3', 'r-1'],
        ],
        'a branch across houses; a deleted resident entity is no member of it',
      );
      t.equal(branch.json.branch, '第一支部');
      const paged = await get('rankings?limit=2&offset=4');
      t.same([paged.json.total, (paged.json.rows as RankedMember[]).length], [6, 2]);
      const bad = await cloud.get('/api/v1/city/rankings?month=2025-13', viewer);
      t.equal(bad.status, 400);
    });

    t.test(
      'records per day: by the record’s day in Beijing, unsynced apart, received that day',
      async (t) => {
        const r = await get('records-per-day?days=4');
        t.same([r.json.from, r.json.to], ['2025-11-12', '2025-11-15']);
        const days = r.json.days as DailyAnswer['days'];
        t.same(
          days.map((d) => d.day),
          ['2025-11-12', '2025-11-13', '2025-11-14', '2025-11-15'],
        );
        t.match(days[0]?.total, { records: 3, unsynced: 0 }, 'three device records on the 12th');
        t.match(
          days[3]?.streams.service,
          { records: 3, unsynced: 1 },
          'h2’s scan and h3’s two, one unsynced',
        );
        t.match(days[3]?.streams.alarm, { records: 2, unsynced: 0 });
        const h3only = await get(`records-per-day?days=4&house=${h3.house}&stream=service`);
        t.same(
          (h3only.json.days as DailyAnswer['days']).map((d) => d.total.records),
          [0, 0, 0, 2],
        );
        const all = await get('records-per-day?days=366');
        t.equal((all.json.days as DailyAnswer['days']).length, 366);
        const sum = (k: 'records' | 'received') =>
          (all.json.days as DailyAnswer['days']).reduce((n, d) => n + d.total[k], 0);
        t.equal(sum('records'), 16 + 1 + 5, 'all: h1’s counters record is dated 2025-10-09, inside the year');
        // `received` counts by the day the database received them: today, by the real clock
        const today = cityDay(Date.now());
        const inRange = today >= (all.json.from as string) && today <= (all.json.to as string);
        t.equal(sum('received'), inRange ? 22 : 0);
      },
    );

    t.test('places: the tenancy tree for the filters', async (t) => {
      const r = await get('places');
      t.match(r.json.cities, [
        {
          name: '沈阳市',
          districts: [
            { name: '和平区', streets: [{ name: '南湖街道', communities: [{ houses: 1 }, { houses: 1 }] }] },
            { name: '沈河区' },
          ],
        },
      ]);
    });
  });
}
