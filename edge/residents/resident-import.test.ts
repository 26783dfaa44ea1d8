import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { SealedBox } from '../crypto/sealed-box.js';
import { LinliError } from '../errors.js';
import { EDGE_STATE_MIGRATIONS, type EdgeState, emptyEdgeState } from '../state/edge-state.js';
import { RecordLog } from '../store/record-log.js';
import { openStateStore, type StateStore } from '../store/state-store.js';
import { formatAddress } from './address.js';
import { idDigestKey, idNumberDigest } from './id-number.js';
import { IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, readImport } from './import-read.js';
import type { ImportProblem, ImportReport } from './import-types.js';
import { planImport } from './resident-import.js';
import { ResidentService } from './resident-service.js';

// Valid numbers (GB 11643 check digits), and one with its last digit mistyped.
const ID1 = '210102199003071233';
const ID2 = '440304198501010013';
const ID3 = '11010519491231002X';
const ID_BAD = '210102199003071234';
const SECRETS = [ID1, ID2, ID3, ID_BAD, '13800138000', '13900139000', '张桂兰', '李建国', '王芳'];

interface Fixture {
  dir: string;
  state: StateStore<EdgeState>;
  records: RecordLog;
  residents: ResidentService;
  writes: () => number;
  registry: () => Promise<string[]>;
  key: Buffer;
}

async function fixture(t: Test): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'linli-import-'));
  const state = await openStateStore<EdgeState>(join(dir, 'state.json'), emptyEdgeState(), {
    migrations: EDGE_STATE_MIGRATIONS,
  });
  let writes = 0;
  const update = state.update.bind(state);
  // Counts updates that wrote (one whose function throws writes nothing and rejects).
  state.update = async (fn) => {
    await update(fn);
    writes++;
  };
  const records = await RecordLog.open({
    dir: join(dir, 'records'),
    house: 'test-house',
    clock: () => 'unsynced',
  });
  const dataKey = randomBytes(32);
  const key = idDigestKey(dataKey);
  const residents = new ResidentService(state, new SealedBox(dataKey), records, key);
  t.teardown(async () => {
    await records.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    state,
    records,
    residents,
    key,
    writes: () => writes,
    async registry() {
      const out: string[] = [];
      for await (const { record } of records.read(1))
        if (record.stream === 'registry') out.push(JSON.stringify(record));
      return out;
    },
  };
}

const csv = (text: string) => Buffer.from(text, 'utf8');
const run = (f: Fixture, text: string, dryRun = false, type = 'text/csv') =>
  f.residents.import(csv(text), type, { dryRun, by: 'admin' });
const codes = (r: ImportReport) => r.problems.map((p) => `${p.line ?? '-'}:${p.code}`);
const noSecrets = (t: Test, what: unknown, label: string) => {
  const text = JSON.stringify(what);
  for (const s of SECRETS) t.notOk(text.includes(s), `${label}: no ${s.slice(0, 2)}…`);
};

const GOOD = [
  '姓名,社区,楼栋,单元,房号,电话,身份证号,党支部,角色,卡号,卡类型',
  `张桂兰,幸福里,3,2,401,138 0013 8000,${ID1},,长者,04A1B2C3,居民卡`,
  `李建国,幸福里,5,1,302,13900139000,${ID2.slice(0, 17)}${ID2[17]},第一党支部,党员,04:a1:b2:c3:d4:e5:f6,`,
  `王芳,幸福里,5,1,302,,${ID3.toLowerCase()},第一党支部,党员;志愿者,,`,
].join('\r\n');

t.test('a clean file: residents created, cards bound, all in one state write', async (t) => {
  const f = await fixture(t);
  const dry = await run(f, GOOD, true);
  t.match(dry, { dryRun: true, applied: false, rows: 3, created: 3, cardsBound: 2, problems: [] });
  t.equal(f.writes(), 0, 'a dry run writes nothing');
  t.equal(f.state.data.residents.length, 0);

  const r = await run(f, GOOD);
  t.match(r, {
    format: 'csv',
    encoding: 'utf-8',
    applied: true,
    rows: 3,
    created: 3,
    updated: 0,
    cardsBound: 2,
  });
  t.equal(f.writes(), 1, 'one state update for the whole file');
  t.same(
    r.outcomes.map((o) => [o.row, o.line, o.id, o.action, o.card?.uid]),
    [
      [1, 2, 'r-0001', 'created', '04A1B2C3'],
      [2, 3, 'r-0002', 'created', '04A1B2C3D4E5F6'],
      [3, 4, 'r-0003', 'created', undefined],
    ],
  );
  const [a, b, c] = f.residents.list();
  t.match(a, {
    id: 'r-0001',
    name: '张桂兰',
    community: '幸福里',
    building: '3',
    unit: '2',
    room: '401',
    address: '幸福里 3栋2单元401',
    phone: '13800138000',
    roles: ['elder'],
    idNumberMasked: '2101**********1233',
  });
  t.match(b, { branch: '第一党支部', roles: ['party-member'], idNumberMasked: '4403**********0013' });
  t.match(c, { roles: ['party-member', 'volunteer'], idNumberMasked: '1101**********002X' });
  t.notOk(
    'idNumberSealed' in (a as object) || 'idNumberDigest' in (a as object),
    'no sealed fields in views',
  );
  t.same(
    f.state.data.cards.map((x) => [x.uid, x.residentId, x.kind, x.state]),
    [
      ['04A1B2C3', 'r-0001', 'resident', 'active'],
      ['04A1B2C3D4E5F6', 'r-0002', 'party', 'active'],
    ],
    'a party member without a card kind gets a party card',
  );
  const onDisk = await readFile(join(f.dir, 'state.json'), 'utf8');
  for (const id of [ID1, ID2, ID3]) t.notOk(onDisk.includes(id), 'no ID number in clear in state.json');
  t.match(onDisk, /"idNumberSealed": "v1:/);
  t.equal(
    f.state.data.residents[2]?.idNumberDigest,
    idNumberDigest(f.key, ID3),
    'digest of the normalised number',
  );

  const registry = await f.registry();
  t.equal(registry.filter((x) => x.includes('"type":"resident.created"')).length, 3);
  t.equal(registry.filter((x) => x.includes('"type":"card.bound"')).length, 2);
  t.equal(registry.filter((x) => x.includes('"type":"residents.imported"')).length, 1);
  t.match(registry[0], /"fields":\[[^\]]*"idNumber"/, 'the field is named');
  noSecrets(t, registry, 'records');
  noSecrets(t, r, 'report');

  const again = await run(f, GOOD);
  t.match(again, { applied: false, created: 0, updated: 0, unchanged: 3, cardsBound: 0, problems: [] });
  t.equal(f.writes(), 1, 'the same file again changes nothing and writes nothing');
  t.equal((await f.registry()).length, registry.length, 'and records nothing');
});

t.test('every refused row is reported by line, with a reason and no value; nothing is applied', async (t) => {
  const f = await fixture(t);
  await f.residents.create({ id: 'r-0100', name: '赵敏', idNumber: ID3 }, 'admin');
  await run(f, `name,cardUid\n其他人,04C0FFEE`);
  const before = JSON.stringify(f.state.data);
  const writes = f.writes();
  const records = (await f.registry()).length;
  const text = [
    'name,phone,idNumber,cardUid,cardKind,roles', // 1
    `张桂兰,13800138000,${ID1},04A1B2C3,resident,elder`, // 2: fine
    `,13900139000,,,,`, // 3: no name
    `李建国,1380013800x,,,,`, // 4: bad phone
    `王芳,,${ID_BAD},,,`, // 5: check digit
    `孙丽,,${ID1},,,`, // 6: same ID number as line 2
    `周强,,${ID3},,,`, // 7: ID number of r-0100
    `吴刚,,,04A1B2C3,,`, // 8: same card as line 2
    `郑华,,,04C0FFEE,,`, // 9: card of another resident
    `钱进,,,08123456,,`, // 10: random UID
    `冯七,,,ZZZZ,,`, // 11: not hex
    `陈八,,,04112233,gold,`, // 12: card kind
    `褚九,,210102900307123,,,`, // 13: 15 digits
    `卫十,,,,,grandmaster!`, // 14: role
    `"蒋"x,,,,,`, // 15: text after a quote
    `沈一,,,,,,extra`, // 16: more cells than the header
    `韩二,,2.10102E+17,,,`, // 17: Excel number
  ].join('\n');
  const r = await run(f, text);
  t.equal(r.applied, false);
  t.equal(r.rows, 16);
  t.equal(r.refusedRows, 15, 'every row but the first');
  t.same(codes(r), [
    '3:name-missing',
    '4:phone-invalid',
    '5:id-check-digit',
    '6:id-number-duplicate',
    '7:id-number-taken',
    '8:card-duplicate',
    '9:card-bound',
    '10:card-uid-random',
    '11:card-uid-invalid',
    '12:card-kind-invalid',
    '13:id-old-15',
    '14:role-invalid',
    '15:csv-quote',
    '16:extra-fields',
    '17:id-excel-number',
  ]);
  const p = (line: number) => r.problems.find((x) => x.line === line) as ImportProblem;
  t.match(p(6), { row: 5, field: 'idNumber', otherRow: 1, otherLine: 2, message: /line 2/ });
  t.match(p(7), { residentId: 'r-0100', message: /r-0100/ });
  t.match(p(8), { otherLine: 2 });
  t.match(p(9), { residentId: 'r-0101' });
  t.match(p(5), { message: /check digit/ });
  t.match(p(13), { message: /15-digit/ });
  noSecrets(t, r.problems, 'problems');
  t.equal(JSON.stringify(f.state.data), before, 'nothing applied, not even the good row');
  t.equal(f.writes(), writes, 'no state write');
  t.equal((await f.registry()).length, records, 'no records');
});

t.test('the header: Chinese or English names, notes in brackets, unknown and repeated columns', async (t) => {
  const f = await fixture(t);
  const r = await run(f, `*姓名,电话（选填）,Card UID,年龄,姓名\n张桂兰,13800138000,04A1B2C3,80,x\n`, true);
  t.same(
    r.problems.map((p) => [p.line, p.column, p.code]),
    [
      [1, 4, 'column-unknown'],
      [1, 5, 'column-duplicate'],
    ],
  );
  t.match(r.problems[0]?.message, /column 4 \(D\)/);
  t.match(r.outcomes, [{ action: 'created', card: { uid: '04A1B2C3' } }], 'the rows are still checked');

  // A file without its header: the first row must not be echoed as "unknown column" names.
  const bare = await run(f, `张桂兰,13800138000,${ID1}\n李建国,13900139000,${ID2}\n`, true);
  t.same(codes(bare), ['1:column-unknown', '1:column-unknown', '1:column-unknown', '1:header-missing']);
  noSecrets(t, bare, 'header problems');

  const english = await run(
    f,
    `Name,Community,Building,Unit,Room,Phone,ID Number,Branch,Roles,card_uid,Card Kind\n王芳,幸福里,5,1,302,13900139000,${ID2},一支部,party-member,04112233,party\n`,
  );
  t.match(english, { applied: true, created: 1, cardsBound: 1 });
});

t.test(
  'rows update who they name: by id, by ID number, by name and phone; imports never take away',
  async (t) => {
    const f = await fixture(t);
    await f.residents.create(
      { id: 'r-0007', name: '张桂兰', address: '幸福里 3栋2单元401', roles: ['elder'], phone: '13800138000' },
      'admin',
    );
    await f.residents.create(
      { id: 'r-0008', name: '李建国', idNumber: ID2, building: '5', unit: '1', room: '302' },
      'admin',
    );
    t.equal(f.state.data.residents[1]?.address, '5栋1单元302', 'the address made from the parts');
    const r = await run(
      f,
      [
        '居民编号,姓名,电话,身份证号,党支部,角色,楼栋',
        'r-0007,,,,,党员,', // by id: the name may stay empty
        `,李建国,,${ID2},第一党支部,党员,6`, // by ID number
        ',张桂兰,13800138000,,,,', // by name and phone: the same as r-0007 → duplicate
      ].join('\n'),
    );
    t.same(codes(r), ['4:resident-duplicate']);
    const ok = await run(
      f,
      [
        '居民编号,姓名,电话,身份证号,党支部,角色,楼栋',
        'r-0007,,,,,党员,',
        `,李建国,,${ID2},第一党支部,党员,6`,
      ].join('\n'),
    );
    t.match(ok, { applied: true, created: 0, updated: 2 });
    t.same(
      ok.outcomes.map((o) => [o.id, o.fields]),
      [
        ['r-0007', ['roles']],
        ['r-0008', ['building', 'branch', 'address', 'roles']],
      ],
    );
    const [a, b] = f.residents.list();
    t.same(a?.roles, ['elder', 'party-member'], 'roles added, none taken');
    t.equal(a?.address, '幸福里 3栋2单元401', 'a hand-written address stays');
    t.equal(b?.address, '6栋1单元302', 'a made address follows the parts');
    t.equal(b?.idNumberMasked, '4403**********0013');
    const byPhone = await run(f, '姓名,电话,社区\n张桂兰,13800138000,幸福里\n');
    t.match(byPhone.outcomes, [{ id: 'r-0007', action: 'updated', fields: ['community'] }]);
  },
);

t.test(
  'cards: already bound to the same resident is fine; lost or revoked cards are not brought back',
  async (t) => {
    const f = await fixture(t);
    await run(f, '姓名,卡号\n张桂兰,04A1B2C3\n李建国,04D4E5F6\n');
    const lost = f.state.data.cards[1];
    await f.state.update((d) => {
      (d.cards[1] as NonNullable<typeof lost>).state = 'lost';
    });
    const r = await run(f, '居民编号,卡号,卡类型\nr-0001,04A1B2C3,党员卡\nr-0002,04D4E5F6,\n');
    t.same(codes(r), ['3:card-inactive']);
    t.match(r.problems[0], { residentId: 'r-0002', message: /lost/ });
    const kind = await run(f, '居民编号,卡号,卡类型\nr-0001,04A1B2C3,党员卡\n');
    t.match(
      kind.outcomes,
      [{ action: 'unchanged', card: { action: 'bound', kind: 'party' } }],
      'the kind changes',
    );
    t.equal(f.state.data.cards.find((c) => c.uid === '04A1B2C3')?.kind, 'party');
  },
);

t.test('JSON: an array or {residents}, rows named by the line their object starts on', async (t) => {
  const f = await fixture(t);
  const json = `{
  "residents": [
    { "name": "张桂兰", "phone": "13800138000", "idNumber": "${ID1}", "roles": ["elder"] },
    {
      "name": "李建国",
      "idNumber": "${ID_BAD}"
    },
    { "name": "王芳", "cardUid": 4112233, "age": 70 },
    "x"
  ]
}`;
  const r = await f.residents.import(Buffer.from(json), 'application/json', { dryRun: false, by: 'admin' });
  t.equal(r.format, 'json');
  t.same(
    r.problems.map((p) => [p.row, p.line, p.code]),
    [
      [2, 4, 'id-check-digit'],
      [3, 8, 'value-invalid'],
      [3, 8, 'column-unknown'],
      [4, 9, 'row-not-object'],
    ].sort((x, y) => (x[0] as number) - (y[0] as number)),
  );
  t.match(r.problems.find((p) => p.code === 'column-unknown')?.message, /"age"/);
  noSecrets(t, r.problems, 'JSON problems');
  t.equal(f.state.data.residents.length, 0);
  const ok = await f.residents.import(
    Buffer.from(JSON.stringify([{ 姓名: '张桂兰', 身份证号: ID1, 角色: '长者' }])),
    undefined,
    { dryRun: false, by: 'admin' },
  );
  t.match(ok, { format: 'json', applied: true, created: 1 });
  const bad = await f.residents
    .import(Buffer.from(`[\n{"name": "${ID1}",}]`), 'application/json', { dryRun: true, by: 'a' })
    .catch((err: unknown) => err);
  t.ok(bad instanceof LinliError && bad.code === 'IMPORT_INVALID', 'bad JSON: IMPORT_INVALID');
  t.match((bad as Error).message, /not valid JSON \(near line 2\)/);
  t.notOk((bad as Error).message.includes(ID1), 'without quoting the text');
});

t.test('limits and unreadable files', async (t) => {
  const rows = ['name', ...Array.from({ length: IMPORT_MAX_ROWS + 1 }, (_, i) => `居民${i}`)].join('\n');
  t.throws(() => readImport(Buffer.from(rows), 'text/csv'), {
    code: 'IMPORT_TOO_LARGE',
    message: /10000 rows/,
  });
  t.throws(() => readImport(Buffer.alloc(IMPORT_MAX_BYTES + 1, 0x41), 'text/csv'), {
    code: 'IMPORT_TOO_LARGE',
  });
  t.throws(() => readImport(Buffer.from([0xff, 0xfe, 0x00, 0xd8]), 'text/csv'), { code: 'IMPORT_INVALID' });
  t.throws(() => readImport(Buffer.from('\r\n\r\n'), 'text/csv'), {
    code: 'IMPORT_INVALID',
    message: /empty/,
  });
  t.throws(() => readImport(Buffer.from('{"a":1}'), 'application/json'), { code: 'IMPORT_INVALID' });
  const ok = readImport(
    Buffer.from(
      rows
        .split('\n')
        .slice(0, IMPORT_MAX_ROWS + 1)
        .join('\n'),
    ),
  );
  t.equal(ok.rows.length, IMPORT_MAX_ROWS, 'exactly the limit is fine');
});

t.test('planning 10,000 rows against 10,000 residents stays quick', async (t) => {
  const state = emptyEdgeState();
  for (let i = 0; i < 10_000; i++) {
    state.residents.push({
      id: `r-${i}`,
      name: `居民${i}`,
      roles: [],
      emergencyContacts: [],
      createdAt: '',
      updatedAt: '',
    });
  }
  const text = [
    '居民编号,姓名,楼栋',
    ...Array.from({ length: 10_000 }, (_, i) => `r-${i},居民${i},${i % 30}`),
  ].join('\n');
  const t0 = performance.now();
  const read = readImport(Buffer.from(text));
  const plan = planImport(read.rows, state, (v) => v);
  const ms = performance.now() - t0;
  t.equal(plan.planned.length, 10_000);
  t.ok(ms < 2000, `${Math.round(ms)} ms`);
});

t.test(
  'profile API: the ID number checked, sealed, masked, cleared; the address follows the parts',
  async (t) => {
    const f = await fixture(t);
    await t.rejects(f.residents.create({ id: 'a', name: '甲', idNumber: ID_BAD }, 'admin'), {
      code: 'ID_NUMBER_INVALID',
      message: /check digit/,
    });
    const a = await f.residents.create(
      { id: 'a', name: '甲', idNumber: ` ${ID3.toLowerCase()} `, community: '幸福里' },
      'admin',
    );
    t.equal(a.idNumberMasked, '1101**********002X');
    t.equal(a.address, '幸福里');
    t.notOk(JSON.stringify(a).includes(ID3));
    await t.rejects(f.residents.create({ id: 'b', name: '乙', idNumber: ID3 }, 'admin'), {
      code: 'ID_NUMBER_TAKEN',
      message: /resident a/,
    });
    const b = await f.residents.create({ id: 'b', name: '乙' }, 'admin');
    await t.rejects(f.residents.update('b', { idNumber: ID3 }, 'admin'), { code: 'ID_NUMBER_TAKEN' });
    t.notOk(b.idNumberMasked);
    const same = await f.residents.update('a', { idNumber: ID3, building: '3', room: '401' }, 'admin');
    t.equal(same.address, '幸福里 3栋401');
    const cleared = await f.residents.update('a', { idNumber: '', building: '' }, 'admin');
    t.notOk(cleared.idNumberMasked);
    t.notOk(cleared.building);
    t.equal(cleared.address, '幸福里 401');
    t.notOk(f.state.data.residents[0]?.idNumberDigest, 'the digest goes with the number');
    const handWritten = await f.residents.update('a', { address: '幸福里东门' }, 'admin');
    t.equal(handWritten.address, '幸福里东门');
    t.equal(
      (await f.residents.update('a', { room: '402' }, 'admin')).address,
      '幸福里东门',
      'hand-written stays',
    );
    t.equal(
      (await f.residents.update('a', { address: '' }, 'admin')).address,
      '幸福里 402',
      'cleared: made again',
    );
    const records = await f.registry();
    t.match(records.at(-5), /"fields":\["building","room","address"\]/, 'the same number again is no change');
    t.match(records.at(-4), /"fields":\["idNumber","building","address"\]/);
    noSecrets(t, records, 'profile records');
  },
);

t.test('addresses made from the parts', async (t) => {
  t.equal(
    formatAddress({ community: '幸福里', building: '3', unit: '2', room: '401' }),
    '幸福里 3栋2单元401',
  );
  t.equal(formatAddress({ building: '3号楼', unit: '二单元', room: '401室' }), '3号楼二单元401室');
  t.equal(formatAddress({}), undefined);
});

t.test('state schema 3: a version 2 file keeps its residents and their address', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-migrate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'state.json');
  const v2 = {
    schemaVersion: 2,
    data: {
      ...emptyEdgeState(),
      residents: [
        {
          id: 'r-0001',
          name: '张桂兰',
          address: '3栋2单元401',
          roles: ['elder'],
          emergencyContacts: [],
          createdAt: 'x',
          updatedAt: 'x',
        },
        { id: 'r-0002', name: '旧数据', createdAt: 'x', updatedAt: 'x' },
      ],
    },
  };
  delete (v2.data as Partial<EdgeState>).cards;
  await writeFile(file, JSON.stringify(v2));
  const s = await openStateStore<EdgeState>(file, emptyEdgeState(), { migrations: EDGE_STATE_MIGRATIONS });
  t.equal(s.schemaVersion, EDGE_STATE_MIGRATIONS.length + 1, 'migrated to the current schema (3 and later)');
  t.match(s.data.residents[0], { address: '3栋2单元401', roles: ['elder'] });
  t.same(s.data.residents[1]?.roles, [], 'missing lists made whole');
  t.same(s.data.residents[1]?.emergencyContacts, []);
  t.same(s.data.cards, []);
  t.equal(
    JSON.parse(await readFile(file, 'utf8')).schemaVersion,
    EDGE_STATE_MIGRATIONS.length + 1,
    'written back migrated',
  );
});
