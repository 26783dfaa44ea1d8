/**
 * The edge's config store on a real state file: every kind mapped to the protocol's data and back,
 * a bundle applied in one write (tombstones, pending edits left alone, a whole bundle never
 * wipes), a failed write changing nothing, local edits tracked, replaced and chained, and the
 * cloud's outcomes settled (applied, conflict with the cloud's winner taken, rejected).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { ConfigBundle, ConfigEntity, ConfigKind } from '../../cloud-sync/protocol/config.js';
import { checkEntity } from '../../cloud-sync/protocol/config.js';
import { SealedBox } from '../crypto/sealed-box.js';
import { idDigestKey, idNumberDigest } from '../residents/id-number.js';
import { entityKey } from '../state/config-sync-state.js';
import { EDGE_STATE_MIGRATIONS, type EdgeState, emptyEdgeState } from '../state/edge-state.js';
import { openStateStore, type StateStore } from '../store/state-store.js';
import { EdgeConfigStore } from './edge-config-store.js';
import { readEntity } from './entity-mapping.js';
import type { ResidentKeys } from './resident-mapping.js';
import { StateRows } from './state-rows.js';
import type { ConfigChanges } from './take-entity.js';
import { trackEdit } from './track-edit.js';

const ID_NUMBER = '11010519491231002X';
const NOTES = '高血压，每日服药';
const AT = '2026-11-30T08:00:00.000Z';

const DATA: Record<ConfigKind, Record<string, unknown>> = {
  resident: {
    name: '张秀兰',
    roles: ['elder'],
    community: '兴华社区',
    building: '3',
    unit: '2',
    room: '401',
    address: '兴华社区 3栋2单元401',
    phone: '13800000000',
    emergencyContacts: [{ name: '李明', relation: '儿子', phone: '13900000000' }],
    healthNotes: NOTES,
    idNumber: ID_NUMBER,
    badge: { digest: 'd'.repeat(43), code: 'LL-ABCDEF', issuedAt: AT },
  },
  card: { residentId: 'r-1', kind: 'party', state: 'active', boundAt: AT, changedAt: AT },
  user: { role: 'staff', passwordHash: 'scrypt$32768$8$1$c2FsdA==$aGFzaA==' },
  device: { type: 'qr-scanner', transport: 'serial', path: '/dev/ttyX', baudRate: 9600, encoding: 'utf-8' },
  activity: { name: '三会一课', category: 'study', points: 3, cap: { per: 'year', max: 12 } },
  goods: { name: '大米', points: 6, unit: '袋' },
  'points-scheme': {
    name: '兴华',
    redeemable: ['practice', 'service'],
    balance: 'reset-yearly',
    assessment: { scope: 'branch', rules: [{ flag: 'red', minPoints: 10 }, { flag: 'grey' }] },
  },
  duty: { entries: [{ name: '王值班', phone: '13700000000', level: 0, from: '08:00', to: '20:00' }] },
  notice: { title: '停水通知', body: '周三 9 点至 12 点停水', pinned: true },
  contacts: { community: { name: '社区办', phone: '024-1234567' }, police: { name: '派出所', phone: '110' } },
};
const IDS: Record<ConfigKind, string> = {
  resident: 'r-1',
  card: '04A1B2C3',
  user: 'clerk',
  device: 'qr-1',
  activity: 'meeting',
  goods: 'rice',
  'points-scheme': 'scheme',
  duty: 'roster',
  notice: 'n-1',
  contacts: 'contacts',
};

interface Fixture {
  dir: string;
  state: StateStore<EdgeState>;
  store: EdgeConfigStore;
  keys: ResidentKeys;
  changes: ConfigChanges[];
}

async function fixture(t: Test): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'linli-config-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const state = await openStateStore<EdgeState>(join(dir, 'state.json'), emptyEdgeState(), {
    migrations: EDGE_STATE_MIGRATIONS,
  });
  const dataKey = randomBytes(32);
  const keys = { box: new SealedBox(dataKey), idKey: idDigestKey(dataKey) };
  const store = new EdgeConfigStore(state, keys, () => Date.parse('2026-12-01T00:00:00.000Z'));
  const changes: ConfigChanges[] = [];
  store.on('changed', (c) => changes.push(c));
  return { dir, state, store, keys, changes };
}

function entity(kind: ConfigKind, version: number, extra: Partial<ConfigEntity> = {}): ConfigEntity {
  return {
    kind,
    id: IDS[kind],
    version,
    data: structuredClone(DATA[kind]) as never,
    updatedAt: AT,
    ...extra,
  };
}

function bundle(version: number, since: number, entities: ConfigEntity[]): ConfigBundle {
  return { serverTime: AT, version, since, entities };
}

t.test(
  'every kind goes down and comes back as the same data; sensitive fields are sealed on disk',
  async (t) => {
    const f = await fixture(t);
    for (const [kind, data] of Object.entries(DATA))
      t.equal(
        checkEntity(kind as ConfigKind, IDS[kind as ConfigKind], data),
        undefined,
        `${kind} fixture fits the protocol`,
      );
    const all = (Object.keys(DATA) as ConfigKind[]).map((k, i) => entity(k, i + 1));
    await f.store.apply(bundle(10, 0, all));
    for (const kind of Object.keys(DATA) as ConfigKind[]) {
      t.same(
        readEntity(new StateRows(f.state.data), kind, IDS[kind], f.keys),
        DATA[kind],
        `${kind} round trip`,
      );
    }
    const r = f.state.data.residents[0];
    t.equal(
      r?.idNumberDigest,
      idNumberDigest(f.keys.idKey, ID_NUMBER),
      'the ID number is found by its digest',
    );
    t.notOk(r?.badge?.tokenSealed, 'a badge issued on the cloud has no token here');
    const disk = await readFile(f.state.file, 'utf8');
    t.notOk(disk.includes(ID_NUMBER), 'no ID number in the state file');
    t.notOk(disk.includes('高血压'), 'no health notes in the state file');
    t.equal(f.store.version(), 10);
    t.same(f.state.data.configSync.entities[entityKey('resident', 'r-1')], { base: 1 });
    t.equal(f.changes.length, 1, 'one change event');
    t.ok(f.changes[0]?.points && f.changes[0]?.notices, 'points and notices changed');
    t.equal(f.changes[0]?.devices.length, 1, 'a device to start');
    t.same(
      f.store.counts(),
      { pendingEdits: 0, openConflicts: 0, rejected: 0 },
      'nothing enrolled: all came from the cloud',
    );
  },
);

t.test('tombstones delete, pending local edits are left alone, older versions are passed over', async (t) => {
  const f = await fixture(t);
  await f.store.apply(bundle(3, 0, [entity('resident', 1), entity('device', 2), entity('notice', 3)]));
  await f.state.update((d) => {
    d.sessions.push({ digest: 'x', username: 'clerk', expiresAt: '2099-01-01T00:00:00.000Z', createdAt: AT });
    const n = d.notices[0];
    if (n) n.title = '改过的标题';
    trackEdit(d, 'notice', 'n-1', 'put', 'admin', AT);
  });
  await f.store.apply(
    bundle(7, 3, [
      { kind: 'device', id: 'qr-1', version: 4, deleted: true, updatedAt: AT },
      { ...entity('notice', 5), data: { title: '云端标题', body: '' } },
      { kind: 'user', id: 'ghost', version: 6, deleted: true, updatedAt: AT },
      entity('user', 7),
    ]),
  );
  t.equal(f.state.data.devices.length, 0, 'device tombstone applied');
  t.equal(
    f.state.data.notices[0]?.title,
    '改过的标题',
    'the notice with a pending edit keeps the local value',
  );
  t.equal(f.state.data.configSync.entities[entityKey('notice', 'n-1')]?.base, 3, 'and its base');
  t.same(
    f.state.data.configSync.entities[entityKey('device', 'qr-1')],
    { base: 4 },
    'a tombstone keeps its version',
  );
  t.equal(f.state.data.users.length, 1);
  t.same(
    f.changes.at(-1)?.devices,
    [{ before: { ...DATA.device, id: 'qr-1', createdAt: AT } }],
    'the driver stops',
  );
  // A stale version (below the base) changes nothing.
  await f.store.apply(
    bundle(8, 7, [{ ...entity('user', 5), data: { ...DATA.user, role: 'admin' } as never }]),
  );
  t.equal(f.state.data.users[0]?.role, 'staff');
  // A disabled user is logged out.
  await f.state.update((d) => {
    d.sessions.push({ digest: 'y', username: 'clerk', expiresAt: '2099-01-01T00:00:00.000Z', createdAt: AT });
  });
  await f.store.apply(
    bundle(9, 8, [{ ...entity('user', 9), data: { ...DATA.user, disabled: true } as never }]),
  );
  t.same(f.state.data.sessions, [], 'sessions of a disabled user end');
});

t.test('the bundle showing the edge edit applied settles it (its answer was lost)', async (t) => {
  const f = await fixture(t);
  await f.store.apply(bundle(1, 0, [entity('notice', 1)]));
  let edit = '';
  await f.state.update((d) => {
    edit = trackEdit(d, 'notice', 'n-1', 'put', 'admin', AT).edit;
  });
  const sent = await f.store.pendingEdits(10);
  t.equal(sent[0]?.edit, edit);
  await f.store.apply(bundle(2, 1, [entity('notice', 2, { edit })]));
  t.same(f.state.data.configSync.entities[entityKey('notice', 'n-1')], { base: 2 }, 'settled at the version');
});

t.test('a whole bundle never wipes: what the cloud does not know is enrolled', async (t) => {
  const f = await fixture(t);
  await f.store.apply(bundle(5, 0, [entity('resident', 2), entity('card', 3)]));
  await f.store.apply(bundle(1, 0, []));
  t.equal(f.state.data.residents.length, 1, 'the resident stays');
  t.equal(f.state.data.cards.length, 1, 'the card stays');
  const edits = await f.store.pendingEdits(10);
  t.same(
    edits.map((e) => [e.kind, e.id, e.base, e.op, e.by]),
    [
      ['resident', 'r-1', 0, 'put', 'linli-edge'],
      ['card', '04A1B2C3', 0, 'put', 'linli-edge'],
    ],
    'both go up again, residents before their cards',
  );
  t.equal(edits[0]?.data && (edits[0].data as { idNumber?: string }).idNumber, ID_NUMBER, 'opened to send');
  t.equal(f.store.version(), 1);
});

t.test(
  'a bundle whose write fails changes nothing; a bundle with a bad entity is refused whole',
  async (t) => {
    const f = await fixture(t);
    await f.store.apply(bundle(2, 0, [entity('resident', 1), entity('card', 2)]));
    const before = structuredClone(f.state.data);
    // The temp file the adapter writes is a directory: the write fails (even for root).
    await mkdir(`${f.state.file}.tmp`);
    await t.rejects(
      f.store.apply(
        bundle(4, 2, [
          { kind: 'resident', id: 'r-1', version: 3, deleted: true, updatedAt: AT },
          entity('device', 4),
        ]),
      ),
    );
    t.same(f.state.data, before, 'nothing changed in memory');
    t.equal(f.store.version(), 2);
    await rm(`${f.state.file}.tmp`, { recursive: true });
    const reopened = await openStateStore<EdgeState>(f.state.file, emptyEdgeState(), {
      migrations: EDGE_STATE_MIGRATIONS,
    });
    t.same(reopened.data, before, 'nor on disk');

    await t.rejects(
      f.store.apply(
        bundle(5, 2, [
          entity('device', 3),
          { ...entity('resident', 4), data: { name: 'x', idNumber: '1' } as never },
        ]),
      ),
      { code: 'bundle-invalid', message: /resident r-1/ },
    );
    t.equal(f.state.data.devices.length, 0, 'not even the good entity before it');
  },
);

t.test(
  'local edits: replaced before they are sent, chained after, a delete of a new entity leaves nothing',
  async (t) => {
    const f = await fixture(t);
    await f.store.apply(bundle(4, 0, [entity('notice', 4)]));
    const track = (op: 'put' | 'delete' = 'put', id = 'n-1') => {
      let out: ReturnType<typeof trackEdit> | undefined;
      return f.state
        .update((d) => {
          out = trackEdit(d, 'notice', id, op, 'staff1', new Date().toISOString());
        })
        .then(() => out as ReturnType<typeof trackEdit>);
    };
    const a = await track();
    t.same({ base: a.base, replaces: a.replaces }, { base: 4, replaces: undefined });
    const b = await track();
    t.equal(b.replaces, a.edit, 'unsent: replaced');
    t.equal(b.base, 4, 'on the same base');
    t.same(f.store.counts().pendingEdits, 1);
    const [sent] = await f.store.pendingEdits(10);
    t.equal(sent?.edit, b.edit);
    t.equal(
      f.state.data.configSync.entities[entityKey('notice', 'n-1')]?.pending?.sent,
      true,
      'marked sent on disk first',
    );
    const c = await track();
    t.equal(c.follows, b.edit, 'sent: the next edit waits for it');
    t.equal(f.store.counts().pendingEdits, 2);
    t.same(
      (await f.store.pendingEdits(10)).map((e) => e.edit),
      [b.edit],
      'only the first goes up',
    );
    await f.store.settle([sent as never], {
      serverTime: AT,
      version: 5,
      results: [{ edit: b.edit, outcome: 'applied', version: 5 }],
    });
    const after = await f.store.pendingEdits(10);
    t.same(
      after.map((e) => [e.edit, e.base]),
      [[c.edit, 5]],
      'then the next, on the version the first got',
    );

    const fresh = await track('put', 'n-new');
    t.equal(fresh.base, 0);
    await track('delete', 'n-new');
    t.notOk(
      f.state.data.configSync.entities[entityKey('notice', 'n-new')],
      'made and deleted here: nothing for the cloud',
    );
  },
);

t.test(
  'outcomes: applied, conflict (the cloud wins, fields named), rejected (local kept), never-had',
  async (t) => {
    const f = await fixture(t);
    await f.store.apply(bundle(3, 0, [entity('resident', 1), entity('device', 2), entity('duty', 3)]));
    await f.state.update((d) => {
      const r = d.residents[0];
      if (r) {
        r.phone = '13811111111';
        r.room = '402';
      }
      trackEdit(d, 'resident', 'r-1', 'put', 'admin', AT);
      d.duty = [];
      trackEdit(d, 'duty', 'roster', 'put', 'admin', AT);
      trackEdit(d, 'device', 'qr-1', 'put', 'admin', AT);
    });
    const sent = await f.store.pendingEdits(10);
    t.same(
      sent.map((e) => e.kind),
      ['resident', 'device', 'duty'],
      'in kind order',
    );
    const [res, dev, duty] = sent as [never, never, never];
    const cloudResident = { ...DATA.resident, room: '403', name: '张秀兰' };
    await f.store.settle(sent, {
      serverTime: AT,
      version: 9,
      results: [
        {
          edit: (res as { edit: string }).edit,
          outcome: 'conflict',
          version: 8,
          current: { kind: 'resident', id: 'r-1', version: 8, data: cloudResident as never, updatedAt: AT },
        },
        { edit: (dev as { edit: string }).edit, outcome: 'rejected', reason: 'device data: /path must be…' },
        { edit: (duty as { edit: string }).edit, outcome: 'applied', version: 9 },
      ],
    });
    t.equal(f.state.data.residents[0]?.room, '403', 'the cloud’s resident taken');
    t.equal(f.state.data.residents[0]?.phone, DATA.resident.phone, 'whole: the local phone edit is gone too');
    const [conflict] = f.store.conflicts();
    t.match(conflict, { kind: 'resident', id: 'r-1', base: 1, cloudVersion: 8, by: 'admin', at: AT });
    t.same(conflict?.fields, ['phone', 'room'], 'field names only');
    t.notOk(JSON.stringify(f.store.conflicts()).includes('1381111'), 'never a value');
    t.same(
      f.store.rejected().map((r) => [r.kind, r.id, r.reason]),
      [['device', 'qr-1', 'device data: /path must be…']],
    );
    t.same(f.state.data.configSync.entities[entityKey('duty', 'roster')], { base: 9 }, 'applied: base moves');
    t.same(f.state.data.configSync.entities[entityKey('resident', 'r-1')], { base: 8 });
    t.same(f.store.counts(), { pendingEdits: 0, openConflicts: 1, rejected: 1 });

    // The cloud never had it (its store was reset): the edge's entity goes up again, not deleted.
    await f.state.update((d) => {
      trackEdit(d, 'resident', 'r-1', 'put', 'admin', AT);
    });
    const [again] = await f.store.pendingEdits(10);
    await f.store.settle([again as never], {
      serverTime: AT,
      version: 0,
      results: [
        {
          edit: again?.edit as string,
          outcome: 'conflict',
          version: 0,
          current: { kind: 'resident', id: 'r-1', version: 0, deleted: true, updatedAt: AT },
        },
      ],
    });
    t.equal(f.state.data.residents.length, 1, 'not wiped');
    const [renewed] = await f.store.pendingEdits(10);
    t.ok(renewed && renewed.edit !== again?.edit && renewed.base === 0, 'a new edit on base 0');

    t.equal(await f.store.dismissConflict(conflict?.edit as string), true);
    t.equal(await f.store.dismissConflict(conflict?.edit as string), false);
    t.same(f.store.conflicts(), []);
  },
);

t.test('first contact enrols what the edge made alone, the points file included, once', async (t) => {
  const f = await fixture(t);
  await f.state.update((d) => {
    d.residents.push({
      id: 'r-9',
      name: '刘',
      roles: [],
      emergencyContacts: [],
      createdAt: AT,
      updatedAt: AT,
    });
    d.contacts = { police: { name: '', phone: '110' } };
  });
  const counts = await f.store.enrol({
    items: [{ id: 'study', name: '学习', category: 'study', points: 2 }],
    goods: [],
    redeemable: ['practice'],
    balance: 'rollover',
    assessment: { scope: 'branch', rules: [{ flag: 'grey' }] },
  });
  t.same(counts, { resident: 1, activity: 1, 'points-scheme': 1, contacts: 1 });
  t.same(await f.store.enrol(), {}, 'once');
  const edits = await f.store.pendingEdits(100);
  t.same(
    edits.map((e) => e.kind),
    ['resident', 'activity', 'points-scheme', 'contacts'],
  );
  t.same(
    edits.find((e) => e.kind === 'contacts')?.data,
    { police: { name: '110', phone: '110' } },
    'a nameless number is named by itself',
  );
  t.equal(f.store.enrolled, true);
  t.same(
    f.state.data.pointsCatalogue?.items.map((i) => i.id),
    ['study'],
    'the file’s scheme is the catalogue now',
  );
});

t.test(
  'a state file of schema 3 (before the config sync) opens at 4 and enrols its rows at first contact',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'linli-config-v3-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'state.json');
    const v3 = {
      users: [
        { username: 'admin', role: 'admin', passwordHash: 'scrypt$1$8$1$c2FsdA==$aGFzaA==', createdAt: AT },
      ],
      sessions: [],
      devices: [],
      duty: [{ name: '夜班', level: 0 }],
      webhooks: [],
      residents: [
        { id: 'r-old', name: '老住户', roles: [], emergencyContacts: [], createdAt: AT, updatedAt: AT },
      ],
      contacts: {},
      cards: [],
    };
    await writeFile(file, JSON.stringify({ schemaVersion: 3, data: v3 }));
    const state = await openStateStore<EdgeState>(file, emptyEdgeState(), {
      migrations: EDGE_STATE_MIGRATIONS,
    });
    t.equal(state.schemaVersion, 4);
    t.same(state.data.notices, []);
    t.match(state.data.configSync, {
      version: 0,
      enrolled: false,
      entities: {},
      conflicts: [],
      rejected: [],
    });
    const key = randomBytes(32);
    const store = new EdgeConfigStore(state, { box: new SealedBox(key), idKey: idDigestKey(key) });
    t.same(await store.enrol(), { resident: 1, user: 1, duty: 1 });
    t.same(
      (await store.pendingEdits(10)).map((e) => [e.kind, e.id, e.base, e.by]),
      [
        ['resident', 'r-old', 0, 'linli-edge'],
        ['user', 'admin', 0, 'linli-edge'],
        ['duty', 'roster', 0, 'linli-edge'],
      ],
    );
  },
);
