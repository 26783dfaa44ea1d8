import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import type { CardView, ImportReport, ResidentView } from '../edge/api/types.js';
import { api, login, startEdge } from './helpers/edge-process.js';
import { gbk } from './helpers/gbk.js';

// Importing residents and cards into the real daemon: a GBK file as Excel saves it in China, a
// UTF-8 file with a BOM, a file with bad rows (nothing applied, every row reported), and the ID
// number nowhere in clear: not in state.json, the journal, the log (at debug level) or any answer.
const edge = await startEdge({ LINLI_LOG_LEVEL: 'debug' });
t.teardown(() => edge.stop());
const admin = await login(edge.httpUrl);

// Valid ID numbers (GB 11643 check digits) and one with its last character mistyped.
const ID1 = '210102199003071233';
const ID2 = '440304198501010013';
const ID3 = '11010519491231002X';
const ID4 = '320583197808154411';
const ID_BAD = '320583197808154412';
const IDS = [ID1, ID2, ID3, ID4, ID_BAD];

async function upload(
  body: Buffer | string,
  contentType: string | undefined,
  query = '',
  token = admin,
): Promise<{
  status: number;
  body: ImportReport & { code?: string; message?: string; report?: ImportReport };
}> {
  const res = await fetch(`${edge.httpUrl}/api/residents/import${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
    body,
  });
  return { status: res.status, body: (await res.json()) as never };
}
/**
 * Announces a body of `bytes` and sends none of it: the edge must answer 413 from the
 * Content-Length alone, before reading anything (were the body sent, the server's close could
 * reset the connection before the client reads the answer).
 */
function announceOnly(path: string, bytes: number): Promise<{ status: number; body: { code: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(`${edge.httpUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv', 'content-length': bytes },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
const residents = async () => (await api<ResidentView[]>(edge.httpUrl, admin, 'GET', '/api/residents')).body;

t.test('a GBK file from Excel: read, checked, applied', async (t) => {
  const file = gbk(
    [
      '姓名,社区,楼栋,单元,房号,电话,身份证号,党支部,角色,卡号,卡类型',
      `张桂兰,幸福里,3,2,401,13800138000,${ID1},,长者,04A1B2C3,居民卡`,
      `李建国,幸福里,5,1,302,13900139000,${ID2},第一党支部,党员,04D4E5F6,党员卡`,
      `王芳,幸福里,5,1,302,,${ID3},第一党支部,党员,,`,
    ].join('\r\n'),
  );
  const dry = await upload(file, 'text/csv', '?dryRun=1');
  t.equal(dry.status, 200);
  t.match(dry.body, {
    dryRun: true,
    applied: false,
    encoding: 'gb18030',
    bom: false,
    created: 3,
    cardsBound: 2,
  });
  t.same(await residents(), [], 'a dry run changes nothing');

  const r = await upload(file, 'text/csv');
  t.equal(r.status, 200);
  t.match(r.body, {
    applied: true,
    format: 'csv',
    encoding: 'gb18030',
    rows: 3,
    created: 3,
    cardsBound: 2,
    problems: [],
  });
  const list = await residents();
  t.match(list, [
    {
      id: 'r-0001',
      name: '张桂兰',
      community: '幸福里',
      address: '幸福里 3栋2单元401',
      roles: ['elder'],
      idNumberMasked: '2101**********1233',
    },
    {
      id: 'r-0002',
      name: '李建国',
      branch: '第一党支部',
      roles: ['party-member'],
      idNumberMasked: '4403**********0013',
    },
    { id: 'r-0003', name: '王芳', idNumberMasked: '1101**********002X' },
  ]);
  const one = await api<ResidentView>(edge.httpUrl, admin, 'GET', '/api/residents/r-0002');
  t.equal(one.body.idNumberMasked, '4403**********0013', 'masked in the single view too');
  const cards = await api<CardView[]>(edge.httpUrl, admin, 'GET', '/api/residents/r-0002/cards');
  t.match(cards.body, [{ uid: '04D4E5F6', kind: 'party', state: 'active' }]);
});

t.test('a UTF-8 file with a BOM and English column names', async (t) => {
  const text = `name,building,unit,room,phone,idNumber,roles,cardUid\n赵敏,7,3,101,13700137000,${ID4},volunteer,04112233\n`;
  const file = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  const r = await upload(file, undefined);
  t.equal(r.status, 200);
  t.match(r.body, { applied: true, encoding: 'utf-8', bom: true, created: 1, cardsBound: 1 });
  t.match((await residents()).at(-1), {
    id: 'r-0004',
    name: '赵敏',
    address: '7栋3单元101',
    idNumberMasked: '3205**********4411',
  });
});

t.test('a file with bad rows: 422, every row reported by line, nothing applied', async (t) => {
  const before = await residents();
  const stateBefore = await readFile(join(edge.dataDir, 'state.json'), 'utf8');
  const text = [
    '姓名,电话,身份证号,卡号,卡类型', // 1
    `孙丽,13600136000,,04998877,`, // 2 fine
    `,13600136001,,,`, // 3 no name
    `周强,1360013600x,,,`, // 4 bad phone
    `吴刚,,${ID_BAD},,`, // 5 check digit
    `"钱,进",,${ID1},,`, // 6 ID number of r-0001 under another name
    `冯七,,,04A1B2C3,`, // 7 card of r-0001
    `陈八,,,04998877,`, // 8 same card as line 2
    `褚九,,,08AABBCC,`, // 9 random UID
    `卫十,,,04556677,金卡`, // 10 card kind
  ].join('\n');
  const r = await upload(text, 'application/octet-stream');
  t.equal(r.status, 422);
  t.equal(r.body.code, 'IMPORT_REFUSED');
  t.match(r.body.message, /8 of 9 rows refused: nothing was imported/);
  const report = r.body.report as ImportReport;
  t.same(
    report.problems.map((p) => [p.line, p.code]),
    [
      [3, 'name-missing'],
      [4, 'phone-invalid'],
      [5, 'id-check-digit'],
      [6, 'id-number-taken'],
      [7, 'card-bound'],
      [8, 'card-duplicate'],
      [9, 'card-uid-random'],
      [10, 'card-kind-invalid'],
    ],
  );
  t.match(report.problems[3], { residentId: 'r-0001' });
  t.match(report.problems[4], { residentId: 'r-0001' });
  const said = JSON.stringify(r.body);
  for (const v of [...IDS, '孙丽', '周强', '1360013600', '钱,进'])
    t.notOk(said.includes(v), 'no value of the file in the answer');
  t.same(await residents(), before, 'not even the good row');
  t.equal(await readFile(join(edge.dataDir, 'state.json'), 'utf8'), stateBefore, 'state.json untouched');

  const dry = await upload(text, 'text/csv', '?dryRun=1');
  t.equal(dry.status, 200, 'a dry run answers the report with 200');
  t.match(dry.body, { dryRun: true, applied: false, refusedRows: 8 });
});

t.test('JSON, limits, roles, unreadable files', async (t) => {
  const json = await upload(
    JSON.stringify([{ name: '吴刚', phone: '13500135000', cardUid: '04FFEE01' }]),
    'application/json',
  );
  t.equal(json.status, 200);
  t.match(json.body, { format: 'json', applied: true, created: 1 });

  const tooBig = await announceOnly('/api/residents/import', 4 * 1024 * 1024 + 1);
  t.equal(tooBig.status, 413);
  t.equal(tooBig.body.code, 'IMPORT_TOO_LARGE');
  const rows = await upload(
    ['姓名', ...Array.from({ length: 10_001 }, (_, i) => `居民${i}`)].join('\n'),
    'text/csv',
  );
  t.equal(rows.status, 413);
  t.match(rows.body.message, /at most 10000 rows/);
  const binary = await upload(
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]),
    'image/png',
  );
  t.equal(binary.status, 422);
  t.equal(binary.body.code, 'IMPORT_INVALID');
  const empty = await upload('', 'text/csv');
  t.equal(empty.status, 422);
  t.equal(empty.body.code, 'IMPORT_INVALID');

  await api(edge.httpUrl, admin, 'POST', '/api/users', {
    username: 'staff1',
    role: 'staff',
    password: 'staff-password-1',
  });
  const staff = await login(edge.httpUrl, 'staff1', 'staff-password-1');
  t.equal((await upload('name\nx\n', 'text/csv', '', staff)).status, 403, 'admins only');
  t.equal((await upload('name\nx\n', 'text/csv', '', 'nobody')).status, 401);
});

t.test('profile and card API: ID numbers checked and masked, cards lost and reactivated', async (t) => {
  const bad = await api<{ code: string; message: string }>(
    edge.httpUrl,
    admin,
    'PATCH',
    '/api/residents/r-0003',
    {
      idNumber: ID_BAD,
    },
  );
  t.equal(bad.status, 422);
  t.equal(bad.body.code, 'ID_NUMBER_INVALID');
  t.notOk(bad.body.message.includes(ID_BAD));
  const taken = await api<{ code: string }>(edge.httpUrl, admin, 'POST', '/api/residents', {
    id: 'r-0100',
    name: '新居民',
    idNumber: ID1,
  });
  t.equal(taken.status, 409);
  t.equal(taken.body.code, 'ID_NUMBER_TAKEN');
  const edit = await api<ResidentView>(edge.httpUrl, admin, 'PATCH', '/api/residents/r-0003', {
    building: '6',
    branch: '第二党支部',
  });
  t.match(edit.body, { building: '6', branch: '第二党支部', idNumberMasked: '1101**********002X' });
  t.notOk(JSON.stringify(edit.body).includes(ID3));

  const random = await api<{ code: string }>(edge.httpUrl, admin, 'POST', '/api/cards', {
    uid: '08123456',
    residentId: 'r-0003',
    kind: 'party',
  });
  t.equal(random.status, 422);
  t.equal(random.body.code, 'CARD_INVALID');
  const bound = await api<CardView>(edge.httpUrl, admin, 'POST', '/api/cards', {
    uid: '04c0ffee',
    residentId: 'r-0003',
    kind: 'party',
  });
  t.equal(bound.status, 201);
  t.equal(bound.body.uid, '04C0FFEE');
  const lost = await api<CardView>(edge.httpUrl, admin, 'PATCH', '/api/cards/04C0FFEE', { state: 'lost' });
  t.equal(lost.body.state, 'lost');
  const mine = await api<CardView[]>(edge.httpUrl, admin, 'GET', '/api/cards?residentId=r-0003');
  t.match(mine.body, [{ uid: '04C0FFEE', state: 'lost' }]);
  const again = await api<CardView>(edge.httpUrl, admin, 'PATCH', '/api/cards/04C0FFEE', { state: 'active' });
  t.equal(again.body.state, 'active');
});

t.test('metrics count imports by outcome and refused rows by reason', async (t) => {
  const text = await (await fetch(`${edge.httpUrl}/metrics`)).text();
  t.match(text, /linli_resident_imports_total\{outcome="applied"\} 3/);
  t.match(text, /linli_resident_imports_total\{outcome="refused"\} 1/);
  t.match(text, /linli_resident_imports_total\{outcome="too-large"\} 2/);
  t.match(
    text,
    /linli_resident_import_problems_total\{reason="id-check-digit"\} 2/,
    'the refusal and its dry run',
  );
  for (const id of IDS) t.notOk(text.includes(id));
});

t.test('after a stop: no ID number in clear in the data dir or the log', async (t) => {
  t.equal(await edge.stop(), 0);
  const state = await readFile(join(edge.dataDir, 'state.json'), 'utf8');
  t.match(state, /"idNumberSealed": "v1:/);
  t.match(state, /"idNumberDigest": "[A-Za-z0-9_-]{43}"/);
  const files: string[] = [];
  for (const entry of await readdir(edge.dataDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
  }
  t.ok(
    files.some((f) => f.endsWith('.seg')),
    'journal segments are searched',
  );
  for (const f of files) {
    const bytes = await readFile(f);
    for (const id of IDS) t.equal(bytes.indexOf(id), -1, `${f.slice(edge.dataDir.length)}: no ID number`);
    if (f.endsWith('.seg')) {
      for (const v of ['张桂兰', '13800138000'])
        t.equal(bytes.indexOf(v), -1, 'no names or phones in records');
    }
  }
  const log = edge.stderr.join('\n');
  t.ok(edge.stderr.length > 0, 'the debug log said something');
  for (const id of IDS) t.notOk(log.includes(id), 'no ID number in the log');
  t.notOk(/\d{4}\*{10}[\dX]{4}/.test(log), 'not even masked');
});
