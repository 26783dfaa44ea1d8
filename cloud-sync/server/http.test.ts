/**
 * `linli-cloud`'s HTTP slice, one suite on two targets (PGlite in memory and the machine's
 * PostgreSQL): house registration, signed batches, every refusal the protocol names, `serverTime`
 * on every answer, and two app instances on one PostgreSQL taking the same house round-robin.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import t from 'tap';
import { v7 } from 'uuid';
import type { Stream, SyncRecord } from '../protocol/record.js';
import { signRequest } from '../protocol/signing.js';
import { MAX_BATCH_BYTES } from '../protocol/validate.js';
import { buildCloudApp, HOUSES_PATH, SYNC_RECORDS_PATH, type SyncAnswer } from './app.js';
import type { Db } from './db/db.js';
import { openDb } from './db/open.js';
import { requirePostgres, TestDatabases } from './db/test-targets.js';
import { T0, TestEdge } from './test-edge.js';

const KEY = randomBytes(32);
const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
await requirePostgres();
const databases = new TestDatabases('http');
t.teardown(() => databases.dropAll());

interface Target {
  name: 'pglite' | 'postgres';
  /** A migrated, empty database, and its URL for PostgreSQL. */
  open(): Promise<{ db: Db; url?: string }>;
}

const targets: Target[] = [
  { name: 'pglite', open: async () => ({ db: await openDb({}) }) },
  {
    name: 'postgres',
    open: async () => {
      const url = await databases.create();
      return { db: await openDb({ databaseUrl: url }), url };
    },
  },
];

interface Sent {
  status: number;
  json: Record<string, unknown>;
  raw: string;
}

function sign(
  edge: TestEdge,
  body: Buffer | string,
  now: number,
  over: { secret?: string; nonce?: string } = {},
) {
  return signRequest({
    house: edge.house,
    secret: over.secret ?? edge.secret,
    method: 'POST',
    pathAndQuery: SYNC_RECORDS_PATH,
    body,
    now,
    ...(over.nonce ? { nonce: over.nonce } : {}),
  });
}

async function inject(
  app: FastifyInstance,
  opts: { method?: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: Buffer | string },
): Promise<Sent> {
  const res = await app.inject({
    method: opts.method ?? 'POST',
    url: opts.url,
    headers: { 'content-type': 'application/json', ...opts.headers },
    ...(opts.payload !== undefined ? { payload: opts.payload } : {}),
  });
  return { status: res.statusCode, json: res.json(), raw: res.body };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const target of targets) {
  t.test(target.name, async (t) => {
    const { db, url } = await target.open();
    t.teardown(() => db.close());
    const clock = T0;
    const logLines: string[] = [];
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _enc, cb) {
          logLines.push(String(chunk));
          cb();
        },
      }),
    );
    const app = await buildCloudApp({ db, cloudKey: KEY, adminPassword: ADMIN, now: () => clock, logger });
    t.teardown(() => app.close());
    /** Every answer of this suite, to check `serverTime` on all of them at the end. */
    const answers: Sent[] = [];
    const send = async (opts: Parameters<typeof inject>[1]) => {
      const r = await inject(app, opts);
      answers.push(r);
      return r;
    };

    let houseN = 0;
    const newHouse = async (): Promise<TestEdge> => {
      houseN++;
      const r = await send({
        url: HOUSES_PATH,
        headers: { authorization: basic(ADMIN) },
        payload: JSON.stringify({
          city: '沈阳市',
          district: '和平区',
          street: '南湖街道',
          community: '文安路社区',
          name: `${target.name} house ${houseN}`,
        }),
      });
      if (r.status !== 201) throw new Error(`register: ${r.status} ${r.raw}`);
      return new TestEdge(r.json.id as string, r.json.secret as string);
    };
    /** Posts a signed batch (records or a raw body) now. */
    const post = async (edge: TestEdge, batch: SyncRecord[] | unknown[] | Buffer | string, signOpts = {}) => {
      const body =
        Buffer.isBuffer(batch) || typeof batch === 'string' ? batch : JSON.stringify({ records: batch });
      return send({
        url: SYNC_RECORDS_PATH,
        headers: { authorization: sign(edge, body, clock, signOpts) },
        payload: body,
      });
    };
    const count = async (table: 'records' | 'rejections', house: string) =>
      Number(
        (
          await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE house = $1`, [house])
        )[0]?.n,
      );

    t.test('healthz', async (t) => {
      const r = await send({ method: 'GET', url: '/healthz' });
      t.equal(r.status, 200);
      t.equal(r.json.ok, true);
      t.equal(r.json.serverTime, new Date(clock).toISOString());
    });

    t.test('register a house: admin only, id and secret once', async (t) => {
      const place = { city: 'c', district: 'd', street: 's', community: 'k', name: 'n' };
      const none = await send({ url: HOUSES_PATH, payload: JSON.stringify(place) });
      t.equal(none.status, 401);
      t.equal(none.json.code, 'auth-required');
      const wrong = await send({
        url: HOUSES_PATH,
        headers: { authorization: basic(`${ADMIN}x`) },
        payload: JSON.stringify(place),
      });
      t.equal(wrong.status, 401);
      const bad = await send({
        url: HOUSES_PATH,
        headers: { authorization: basic(ADMIN) },
        payload: JSON.stringify({ ...place, name: '' }),
      });
      t.equal(bad.status, 400);
      const notJson = await send({
        url: HOUSES_PATH,
        headers: { authorization: basic(ADMIN) },
        payload: '{',
      });
      t.equal(notJson.status, 400);
      const ok = await send({
        url: HOUSES_PATH,
        headers: { authorization: basic(ADMIN) },
        payload: JSON.stringify(place),
      });
      t.equal(ok.status, 201);
      t.match(ok.json, { id: String, secret: /^[0-9a-f]{64}$/, serverTime: ISO });
      const again = await send({
        url: HOUSES_PATH,
        headers: { authorization: basic(ADMIN) },
        payload: JSON.stringify(place),
      });
      t.equal(again.status, 409);
      t.equal(again.json.code, 'house-exists');
    });

    t.test('a signed batch is stored; re-sent, it is all duplicates', async (t) => {
      const e = await newHouse();
      const batch = [...e.range('alarm', 1, 3), ...e.range('points', 1, 2)];
      const first = await post(e, batch);
      t.equal(first.status, 200, first.raw);
      const a = first.json as unknown as SyncAnswer;
      t.equal(a.serverTime, new Date(clock).toISOString());
      t.equal(a.stored, 5);
      t.equal(a.duplicates, 0);
      t.same(a.rejected, []);
      t.equal(a.streams.alarm?.contiguous, 3);
      t.equal(a.streams.points?.contiguous, 2);
      const again = (await post(e, batch)).json as unknown as SyncAnswer;
      t.equal(again.stored, 0);
      t.equal(again.duplicates, 5);
      t.equal(again.streams.alarm?.contiguous, 3);
      t.equal(await count('records', e.house), 5);
      // any content type: the signature covers the raw bytes
      const body = JSON.stringify({ records: e.range('alarm', 4, 4) });
      const plain = await send({
        url: SYNC_RECORDS_PATH,
        headers: { authorization: sign(e, body, clock), 'content-type': 'text/plain' },
        payload: body,
      });
      t.equal(plain.status, 200);
      t.equal(plain.json.stored, 1);
    });

    t.test('refused requests: 401 with the signing code, nothing stored', async (t) => {
      const e = await newHouse();
      const other = await newHouse();
      const body = JSON.stringify({ records: e.range('alarm', 1, 2) });

      const none = await send({ url: SYNC_RECORDS_PATH, payload: body });
      t.equal(none.status, 401);
      t.equal(none.json.code, 'auth-malformed');

      const badSig = await post(e, body, { secret: other.secret });
      t.equal(badSig.status, 401);
      t.equal(badSig.json.code, 'auth-bad-signature');
      t.type(badSig.json.reason, 'string');

      // signed as another house with this house's secret
      const asOther = await send({
        url: SYNC_RECORDS_PATH,
        headers: { authorization: sign(new TestEdge(other.house, e.secret), body, clock) },
        payload: body,
      });
      t.equal(asOther.json.code, 'auth-bad-signature');

      const unknown = await send({
        url: SYNC_RECORDS_PATH,
        headers: { authorization: sign(new TestEdge('no-such-house', e.secret), body, clock) },
        payload: body,
      });
      t.equal(unknown.json.code, 'auth-unknown-house');

      // a body changed after signing
      const tampered = await send({
        url: SYNC_RECORDS_PATH,
        headers: { authorization: sign(e, body, clock) },
        payload: body.replace('"n":1', '"n":9'),
      });
      t.equal(tampered.json.code, 'auth-bad-signature');

      const expired = await send({
        url: SYNC_RECORDS_PATH,
        headers: { authorization: sign(e, body, clock - 301_000) },
        payload: body,
      });
      t.equal(expired.status, 401);
      t.equal(expired.json.code, 'auth-clock-skew');
      t.equal(expired.json.serverTime, new Date(clock).toISOString(), 'the edge learns the time from it');
      const ahead = await send({
        url: SYNC_RECORDS_PATH,
        headers: { authorization: sign(e, body, clock + 301_000) },
        payload: body,
      });
      t.equal(ahead.json.code, 'auth-clock-skew');
      t.equal(await count('records', e.house), 0, 'nothing stored from refused requests');

      const late = await send({
        url: SYNC_RECORDS_PATH,
        headers: { authorization: sign(e, body, clock - 299_000) },
        payload: body,
      });
      t.equal(late.status, 200, 'inside the window');

      // replay: the very same request again, and another body with a used nonce
      const nonce = randomBytes(16).toString('hex');
      const body2 = JSON.stringify({ records: e.range('alarm', 3, 3) });
      const header = sign(e, body2, clock, { nonce });
      const once = await send({ url: SYNC_RECORDS_PATH, headers: { authorization: header }, payload: body2 });
      t.equal(once.status, 200);
      const replay = await send({
        url: SYNC_RECORDS_PATH,
        headers: { authorization: header },
        payload: body2,
      });
      t.equal(replay.status, 401);
      t.equal(replay.json.code, 'auth-replayed');
      const body3 = JSON.stringify({ records: e.range('alarm', 4, 4) });
      const sameNonce = await post(e, body3, { nonce });
      t.equal(sameNonce.json.code, 'auth-replayed');
      t.equal(await count('records', e.house), 3);
      // the nonce is the house's: another house may use it
      const otherNonce = await post(other, JSON.stringify({ records: other.range('alarm', 1, 1) }), {
        nonce,
      });
      t.equal(otherNonce.status, 200);
    });

    t.test("another house's records are rejected, never stored under the signer", async (t) => {
      const a = await newHouse();
      const b = await newHouse();
      const res = await post(a, [...a.range('alarm', 1, 2), ...b.range('alarm', 3, 4), a.rec('alarm', 3)]);
      t.equal(res.status, 200);
      const ans = res.json as unknown as SyncAnswer;
      t.equal(ans.stored, 3);
      t.equal(ans.streams.alarm?.contiguous, 3);
      t.same(
        ans.rejected.map((r) => [r.id, r.seq, r.reason]),
        [
          [b.id('alarm', 3), 3, 'wrong-house'],
          [b.id('alarm', 4), 4, 'wrong-house'],
        ],
      );
      t.notOk(JSON.stringify(ans.rejected).includes(b.house), "the other house's id is not echoed");
      t.equal(await count('records', a.house), 3);
      t.equal(await count('rejections', a.house), 0, 'no rejection holds a seq of the signer');
      t.equal(await count('records', b.house), 0);
      t.equal(await count('rejections', b.house), 0);
      // b's own records with those ids still go in
      const own = (await post(b, b.range('alarm', 1, 4))).json as unknown as SyncAnswer;
      t.equal(own.stored, 4);
      t.equal(own.streams.alarm?.contiguous, 4);
    });

    t.test('batch-level refusals: malformed JSON, too many records, too large', async (t) => {
      const e = await newHouse();
      const notJson = await post(e, '{"records": [');
      t.equal(notJson.status, 400);
      t.equal(notJson.json.code, 'batch-not-json');
      const notUtf8 = await post(e, Buffer.from([0x7b, 0xff, 0x7d]));
      t.equal(notUtf8.json.code, 'batch-not-json');
      const notBatch = await post(e, '{"records": 5}');
      t.equal(notBatch.status, 400);
      t.equal(notBatch.json.code, 'batch-malformed');
      const extra = await post(e, '{"records": [], "x": 1}');
      t.equal(extra.json.code, 'batch-malformed');
      const empty = await post(e, '');
      t.equal(empty.status, 400);
      t.equal(empty.json.code, 'batch-not-json');

      const many = await post(e, e.range('points', 1, 1001));
      t.equal(many.status, 413);
      t.equal(many.json.code, 'batch-too-many-records');
      t.match(many.json.reason, /1001 records/);
      const thousand = await post(e, e.range('points', 1, 1000));
      t.equal(thousand.status, 200, '1,000 records is allowed');
      t.equal(thousand.json.stored, 1000);

      // just over 1 MiB: read, then refused by the protocol check with its size
      const pad = (n: number) => {
        const base = JSON.stringify({ records: [e.rec('device', 1, { pad: '' })] });
        return JSON.stringify({ records: [e.rec('device', 1, { pad: 'x'.repeat(n - base.length) })] });
      };
      const over = pad(MAX_BATCH_BYTES + 1);
      t.equal(Buffer.byteLength(over), MAX_BATCH_BYTES + 1);
      const big = await post(e, over);
      t.equal(big.status, 413);
      t.equal(big.json.code, 'batch-too-large');
      t.match(big.json.reason, `body of ${MAX_BATCH_BYTES + 1} bytes is over ${MAX_BATCH_BYTES}`);
      // far over: refused by the transport, same code
      const huge = await post(e, pad(3 * MAX_BATCH_BYTES));
      t.equal(huge.status, 413);
      t.equal(huge.json.code, 'batch-too-large');
      t.equal(await count('records', e.house), 1000, 'nothing stored from refused batches');
      t.notOk(
        answers.some((a) => a.raw.includes('xxxxxxxx')),
        'no body value is echoed',
      );
    });

    t.test('schema-violating records are rejected one by one; the good ones are stored', async (t) => {
      const e = await newHouse();
      const good1 = e.rec('alarm', 1);
      const noBody = { ...e.rec('alarm', 2) } as Partial<SyncRecord>;
      delete noBody.body;
      const badType = { ...e.rec('points', 1), type: 'points.stolen' };
      const payment = e.rec('payment', 1); // the payment stream has no types yet
      const extraField = { ...e.rec('device', 1), secret: 'do-not-echo-me' };
      const seqZero = { ...e.rec('device', 2), seq: 0 };
      const notObject = 'just a string';
      const badStream = { ...e.rec('alarm', 5), stream: 'weather' };
      const tooLarge = e.rec('service', 1, { blob: 'y'.repeat(70 * 1024) });
      const good2 = e.rec('alarm', 3);
      const good3 = e.rec('points', 2);
      const res = await post(e, [
        good1,
        noBody,
        badType,
        payment,
        extraField,
        seqZero,
        notObject,
        badStream,
        tooLarge,
        good2,
        good3,
      ]);
      t.equal(res.status, 200, res.raw);
      const ans = res.json as unknown as SyncAnswer;
      t.equal(ans.stored, 3);
      const byReason = ans.rejected.map((r) => [r.stream, r.seq, r.reason]);
      t.same(
        new Set(byReason.map((x) => JSON.stringify(x))),
        new Set(
          [
            ['alarm', 2, 'schema'],
            ['points', 1, 'unknown-type'],
            ['payment', 1, 'unknown-type'],
            ['device', 1, 'schema'],
            ['device', null, 'schema'],
            [null, null, 'schema'],
            [null, 5, 'unknown-stream'],
            ['service', 1, 'too-large'],
          ].map((x) => JSON.stringify(x)),
        ),
      );
      for (const r of ans.rejected) {
        t.type(r.message, 'string');
        t.ok(r.message.length > 0);
      }
      t.notOk(res.raw.includes('do-not-echo-me'), 'no body value echoed');
      t.notOk(res.raw.includes('yyyy'));
      // rejections hold their seq: alarm 1–3 and points 1–2 are contiguous
      t.equal(ans.streams.alarm?.contiguous, 3);
      t.equal(ans.streams.points?.contiguous, 2);
      t.equal(ans.streams.device?.contiguous, 1);
      t.equal(ans.streams.service?.contiguous, 1);
      t.equal(await count('records', e.house), 3);
      // fixed and re-sent with the same id and seq, a record replaces its rejection
      const fixed = (await post(e, [e.rec('alarm', 2), e.rec('alarm', 1)])).json as unknown as SyncAnswer;
      t.equal(fixed.stored, 1);
      t.equal(fixed.duplicates, 1);
      t.equal(fixed.streams.alarm?.contiguous, 3);
      t.equal(await count('records', e.house), 4);
      // a different record claiming a stored seq is a conflict, the stored one stays
      const clash = { ...e.rec('alarm', 3), id: v7() };
      const c = (await post(e, [clash])).json as unknown as SyncAnswer;
      t.equal(c.stored, 0);
      t.equal(c.rejected[0]?.reason, 'conflict');
      t.equal(c.rejected[0]?.id, clash.id);
    });

    t.test('serverTime on every answer, and nothing secret in answers or logs', async (t) => {
      t.ok(answers.length > 30, `${answers.length} answers`);
      for (const a of answers) t.match(a.json.serverTime, ISO, `${a.status} ${a.json.code ?? ''}`);
      const notFound = await send({ method: 'GET', url: '/nope?x=1' });
      t.equal(notFound.status, 404);
      t.match(notFound.json.serverTime, ISO);
      const logs = logLines.join('');
      t.notOk(logs.includes(ADMIN), 'admin token not logged');
      t.notOk(/[0-9a-f]{64}/.test(logs), 'no secret or signature logged');
      t.notOk(logs.includes('do-not-echo-me'), 'no body value logged');
      t.notOk(logs.toLowerCase().includes('linli-hmac'), 'no Authorization header logged');
    });

    t.test('over a real socket with fetch', async (t) => {
      const live = await buildCloudApp({ db, cloudKey: KEY, adminPassword: ADMIN });
      t.teardown(() => live.close());
      const base = await live.listen({ port: 0, host: '127.0.0.1' });
      const reg = await fetch(`${base}${HOUSES_PATH}`, {
        method: 'POST',
        headers: { authorization: basic(ADMIN), 'content-type': 'application/json' },
        body: JSON.stringify({
          city: 'c',
          district: 'd',
          street: 's',
          community: 'k',
          name: `live ${target.name}`,
        }),
      });
      t.equal(reg.status, 201);
      const { id, secret } = (await reg.json()) as { id: string; secret: string };
      const e = new TestEdge(id, secret);
      const body = JSON.stringify({ records: [...e.range('alarm', 1, 5), ...e.range('device', 1, 5)] });
      const sentAt = Date.now();
      const res = await fetch(`${base}${SYNC_RECORDS_PATH}`, {
        method: 'POST',
        headers: { authorization: sign(e, body, sentAt), 'content-type': 'application/json' },
        body,
      });
      t.equal(res.status, 200);
      const ans = (await res.json()) as SyncAnswer;
      t.equal(ans.stored, 10);
      t.equal(ans.streams.device?.contiguous, 5);
      t.ok(Math.abs(Date.parse(ans.serverTime) - sentAt) < 10_000);
      // a 2 MiB body over the wire: 413 with the protocol's code
      const huge = Buffer.alloc(2 * MAX_BATCH_BYTES, 0x20);
      const tooBig = await fetch(`${base}${SYNC_RECORDS_PATH}`, {
        method: 'POST',
        headers: { authorization: sign(e, huge, Date.now()), 'content-type': 'application/json' },
        body: huge,
      });
      t.equal(tooBig.status, 413);
      const tb = (await tooBig.json()) as { code: string; serverTime: string };
      t.equal(tb.code, 'batch-too-large');
      t.match(tb.serverTime, ISO);
    });

    if (target.name === 'postgres' && url) {
      t.test('two instances on one PostgreSQL, round-robin, concurrently', async (t) => {
        const db2 = await openDb({ databaseUrl: url });
        t.teardown(() => db2.close());
        const app2 = await buildCloudApp({ db: db2, cloudKey: KEY, adminPassword: ADMIN, now: () => clock });
        t.teardown(() => app2.close());
        const apps = [app, app2];
        const e = await newHouse();
        const last: Partial<Record<Stream, number>> = { alarm: 600, points: 900, device: 500 };
        const batches: SyncRecord[][] = [];
        for (const [stream, n] of Object.entries(last) as [Stream, number][]) {
          for (let s = 1; s <= n; s += 50) batches.push(e.range(stream, s, Math.min(n, s + 49)));
        }
        // out of order, and every third batch sent twice (once to each instance)
        batches.sort(() => Math.random() - 0.5);
        const sends = batches.flatMap((b, i) => (i % 3 === 0 ? [b, b] : [b]));
        let rr = 0;
        const results = await Promise.all(
          sends.map((b) => {
            const body = JSON.stringify({ records: b });
            const target = apps[rr++ % 2] as FastifyInstance;
            return inject(target, {
              url: SYNC_RECORDS_PATH,
              headers: { authorization: sign(e, body, clock) },
              payload: body,
            });
          }),
        );
        for (const r of results) {
          if (r.status !== 200) t.fail(`${r.status} ${r.raw}`);
          t.match(r.json.serverTime, ISO);
        }
        const total = 600 + 900 + 500;
        const stored = results.reduce((s, r) => s + Number(r.json.stored), 0);
        const dup = results.reduce((s, r) => s + Number(r.json.duplicates), 0);
        t.equal(stored, total, 'every record stored once');
        t.equal(
          stored + dup,
          sends.reduce((s, b) => s + b.length, 0),
          're-sends counted as duplicates',
        );
        t.equal(results.flatMap((r) => r.json.rejected as unknown[]).length, 0);
        t.equal(await count('records', e.house), total);
        const rows = await db.query<{ stream: string; contiguous: number }>(
          'SELECT stream, contiguous FROM stream_state WHERE house = $1 ORDER BY stream',
          [e.house],
        );
        t.same(Object.fromEntries(rows.map((r) => [r.stream, r.contiguous])), last, 'contiguity = last seq');
      });
    }
  });
}
