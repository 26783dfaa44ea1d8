import { createHash, createHmac } from 'node:crypto';
import t from 'tap';
import {
  AuthRefusalCode,
  clockOffsetFromAnswer,
  nonceExpiresAt,
  parseAuthorization,
  serverTime,
  signRequest,
  type VerifyRequestInput,
  verifyRequest,
} from './signing.js';

const SECRET = Buffer.from('linli-test-secret-0123456789abcdef');
const HOUSE = 'sy-hp-0042';
const PATH = '/api/v1/sync/records';
const BODY = '{"records":[]}';
const TS = 1_767_225_600; // 2026-01-01T00:00:00Z
const NOW = TS * 1000;
const NONCE = '0123456789abcdef0123456789abcdef';

/** A nonce log kept the way the cloud must: per house, remembered for the window. */
function nonceLog() {
  const seen = new Map<string, number>();
  const calls: string[] = [];
  const nonceSeen = async (house: string, nonce: string, ts: number): Promise<boolean> => {
    calls.push(`${house}/${nonce}`);
    const key = `${house}/${nonce}`;
    if (seen.has(key)) return true;
    seen.set(key, nonceExpiresAt(ts));
    return false;
  };
  return { nonceSeen, calls };
}

function verifier(overrides: Partial<VerifyRequestInput> = {}) {
  const log = nonceLog();
  const lookups: string[] = [];
  const input = (header: string, more: Partial<VerifyRequestInput> = {}): VerifyRequestInput => ({
    header,
    method: 'POST',
    pathAndQuery: PATH,
    body: BODY,
    now: NOW,
    secretFor: async (house) => {
      lookups.push(house);
      return house === HOUSE ? SECRET : undefined;
    },
    nonceSeen: log.nonceSeen,
    ...overrides,
    ...more,
  });
  return { input, log, lookups };
}

const sign = (more: Partial<Parameters<typeof signRequest>[0]> = {}) =>
  signRequest({
    house: HOUSE,
    secret: SECRET,
    method: 'POST',
    pathAndQuery: PATH,
    body: BODY,
    now: NOW,
    nonce: NONCE,
    ...more,
  });

t.test('the signature is HMAC-SHA256 over method, target, ts, nonce and the body digest', async (t) => {
  // Worked out step by step with node:crypto, and pinned to values computed with openssl.
  const bodyHash = createHash('sha256').update(BODY).digest('hex');
  t.equal(bodyHash, '1b8b4c0b6f6ad1d32565952720bc004eeb1f188f62045e4d5525ae2af8c78432');
  const text = ['POST', PATH, String(TS), NONCE, bodyHash].join('\n');
  const sig = createHmac('sha256', SECRET).update(text).digest('hex');
  t.equal(sig, 'fc7e7e1cbf87577b7ed5923f30eb8b684ddc6aa191af4b92b799638ba10f8b91');
  t.equal(sign(), `LINLI-HMAC house=${HOUSE},ts=${TS},nonce=${NONCE},sig=${sig}`);

  // A GET with a query and an empty body; a lower-case method signs as upper case.
  const get = signRequest({
    house: HOUSE,
    secret: SECRET.toString(),
    method: 'get',
    pathAndQuery: '/api/v1/sync/config?since=3',
    body: Buffer.alloc(0),
    now: NOW + 999,
    nonce: '0123456789abcdef',
  });
  t.equal(
    get,
    `LINLI-HMAC house=${HOUSE},ts=${TS},nonce=0123456789abcdef,sig=cc63f426540cc6a5d5e4f81d9195ee6fbcd5e39943ab14f9651135aec15bd916`,
    'ts is whole seconds, rounded down',
  );

  t.equal(sign({ offsetMs: -90_000 }).match(/ts=(\d+)/)?.[1], String(TS - 90), 'the offset is applied');
  t.match(
    signRequest({ house: HOUSE, secret: SECRET, method: 'POST', pathAndQuery: PATH, body: '', now: NOW }),
    /^LINLI-HMAC house=sy-hp-0042,ts=1767225600,nonce=[0-9a-f]{32},sig=[0-9a-f]{64}$/,
  );
  t.not(sign({ nonce: undefined }), sign({ nonce: undefined }), 'a fresh random nonce each time');
  t.throws(() => sign({ house: 'a house' }), RangeError);
  t.throws(() => sign({ nonce: 'xyz' }), RangeError);
  t.throws(() => sign({ now: -5000 }), RangeError);
});

t.test('a good request is accepted once; the same request again is a replay', async (t) => {
  const { input, log } = verifier();
  t.same(await verifyRequest(input(sign())), { ok: true, house: HOUSE });
  t.match(await verifyRequest(input(sign())), { ok: false, code: AuthRefusalCode.Replayed });
  t.same(
    await verifyRequest(input(sign({ nonce: NONCE.toUpperCase() }))),
    {
      ok: false,
      code: AuthRefusalCode.Replayed,
      reason: 'nonce already used',
    },
    'the nonce is compared case-insensitively',
  );
  t.same(await verifyRequest(input(sign({ nonce: 'ffffffffffffffff' }))), { ok: true, house: HOUSE });
  t.equal(log.calls.length, 4);
  t.equal(nonceExpiresAt(TS), NOW + 300_000);
});

t.test('clock window: exactly ±300 s accepted, 301 s refused, configurable', async (t) => {
  for (const [offsetS, ok] of [
    [-300, true],
    [300, true],
    [-301, false],
    [301, false],
    [-3600, false],
  ] as const) {
    const { input, log } = verifier();
    const res = await verifyRequest(input(sign({ now: NOW + offsetS * 1000 })));
    if (ok) t.same(res, { ok: true, house: HOUSE }, `${offsetS} s`);
    else {
      t.match(res, { ok: false, code: AuthRefusalCode.ClockSkew, reason: /window ±300 s/ }, `${offsetS} s`);
      t.equal(log.calls.length, 0, 'no nonce recorded for a stale request');
    }
  }
  const { input } = verifier();
  t.match(await verifyRequest(input(sign({ now: NOW - 61_000 }), { windowMs: 60_000 })), {
    code: AuthRefusalCode.ClockSkew,
    reason: /61 s behind/,
  });
  t.match(await verifyRequest(input(sign({ now: NOW + 61_000 }), { windowMs: 60_000 })), {
    reason: /61 s ahead/,
  });
  // An edge an hour off signs with the offset it learned from serverTime and gets through.
  const edgeNow = NOW - 3_600_000;
  const offset = clockOffsetFromAnswer({
    serverTime: serverTime(NOW),
    sentAt: edgeNow - 40,
    receivedAt: edgeNow + 40,
  });
  t.equal(offset, 3_600_000);
  t.same(await verifyRequest(input(sign({ now: edgeNow, offsetMs: offset as number }))), {
    ok: true,
    house: HOUSE,
  });
});

t.test(
  'tampered body, path, query, method, house or signature: bad signature, nonce untouched',
  async (t) => {
    const header = sign();
    const cases: [string, Partial<VerifyRequestInput>][] = [
      ['body', { body: '{"records":[ ]}' }],
      ['body bytes', { body: Buffer.from(`${BODY}\n`) }],
      ['path', { pathAndQuery: '/api/v1/sync/records/' }],
      ['query', { pathAndQuery: `${PATH}?x=1` }],
      ['method', { method: 'PUT' }],
    ];
    for (const [name, more] of cases) {
      const { input, log } = verifier();
      t.same(
        await verifyRequest(input(header, more)),
        { ok: false, code: AuthRefusalCode.BadSignature, reason: 'signature does not match the request' },
        name,
      );
      t.same(log.calls, [], `${name}: no nonce recorded`);
    }
    const { input, log } = verifier();
    const flipped = header.replace(/sig=(.)/, (_, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    t.match(await verifyRequest(input(flipped)), { code: AuthRefusalCode.BadSignature });
    t.match(await verifyRequest(input(header.replace(`ts=${TS}`, `ts=${TS + 1}`))), {
      code: AuthRefusalCode.BadSignature,
    });
    t.match(await verifyRequest(input(header.replace('nonce=0', 'nonce=1'))), {
      code: AuthRefusalCode.BadSignature,
    });
    t.match(
      await verifyRequest(input(sign({ secret: Buffer.from('another secret') }))),
      { code: AuthRefusalCode.BadSignature },
      'signed with another secret',
    );
    t.same(log.calls, []);
    // The original still goes through afterwards: the failures burnt nothing.
    t.same(await verifyRequest(input(header)), { ok: true, house: HOUSE });
  },
);

t.test('unknown house; checks run cheapest first', async (t) => {
  const { input, log, lookups } = verifier();
  t.same(await verifyRequest(input(sign({ house: 'nobody' }))), {
    ok: false,
    code: AuthRefusalCode.UnknownHouse,
    reason: 'unknown house',
  });
  t.same(lookups, ['nobody']);
  t.same(log.calls, []);
  // Malformed and stale requests never reach the secret lookup.
  await verifyRequest(input('LINLI-HMAC house=x'));
  await verifyRequest(input(sign({ house: 'nobody', now: NOW - 400_000 })));
  t.same(lookups, ['nobody'], 'no lookup for a malformed or stale request');
  // A hook that fails rejects the promise (the server answers 5xx, not 401).
  await t.rejects(
    verifyRequest(input(sign(), { secretFor: async () => Promise.reject(new Error('db down')) })),
    /db down/,
  );
});

t.test('parseAuthorization: the grammar', async (t) => {
  const sig = 'ab'.repeat(32);
  t.same(
    parseAuthorization(`LINLI-HMAC house=h1,ts=${TS},nonce=${'AB'.repeat(8)},sig=${sig.toUpperCase()}`),
    {
      ok: true,
      fields: {
        house: 'h1',
        ts: TS,
        nonce: 'ab'.repeat(8),
        sig,
        raw: { ts: String(TS), nonce: 'AB'.repeat(8) },
      },
    },
  );
  t.match(
    parseAuthorization(`linli-hmac sig=${sig}, nonce=${'0'.repeat(64)} ,ts=0,house=A.b_c-9`),
    {
      ok: true,
      fields: { house: 'A.b_c-9', ts: 0 },
    },
    'scheme in any case, parameters in any order, spaces around commas',
  );
  const good = { house: 'h1', ts: String(TS), nonce: '0'.repeat(16), sig };
  const header = (p: Record<string, string>) =>
    `LINLI-HMAC ${Object.entries(p)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
  const bad: [string, unknown][] = [
    ['no header', undefined],
    ['array', ['LINLI-HMAC']],
    ['empty', ''],
    ['scheme only', 'LINLI-HMAC'],
    ['scheme and space', 'LINLI-HMAC '],
    ['other scheme', header(good).replace('LINLI-HMAC', 'Bearer')],
    ['tab after scheme', header(good).replace(' ', '\t')],
    ['missing sig', header({ house: 'h1', ts: good.ts, nonce: good.nonce })],
    ['repeated', `${header(good)},ts=${TS}`],
    ['unknown param', `${header(good)},x=1`],
    ['trailing comma', `${header(good)},`],
    ['house with space', header({ ...good, house: 'a b' })],
    ['house too long', header({ ...good, house: 'h'.repeat(65) })],
    ['empty house', header({ ...good, house: '' })],
    ['negative ts', header({ ...good, ts: '-1' })],
    ['ts with ms', header({ ...good, ts: `${TS}000` })],
    ['ts leading zero', header({ ...good, ts: `0${TS}` })],
    ['ts decimal', header({ ...good, ts: `${TS}.5` })],
    ['nonce 15', header({ ...good, nonce: '0'.repeat(15) })],
    ['nonce 65', header({ ...good, nonce: '0'.repeat(65) })],
    ['nonce not hex', header({ ...good, nonce: 'g'.repeat(16) })],
    ['sig 63', header({ ...good, sig: sig.slice(1) })],
    ['sig not hex', header({ ...good, sig: `z${sig.slice(1)}` })],
    ['quoted', header({ ...good, house: '"h1"' })],
    ['too long', `${header(good)}${' '.repeat(600)}`],
  ];
  for (const [name, h] of bad) {
    t.match(parseAuthorization(h), { ok: false, code: AuthRefusalCode.Malformed, reason: String }, name);
  }
});

t.test('clockOffsetFromAnswer: midpoint of the round trip; garbage gives undefined', async (t) => {
  t.equal(
    clockOffsetFromAnswer({ serverTime: '2026-01-01T00:00:10.000Z', sentAt: NOW, receivedAt: NOW + 2000 }),
    9000,
  );
  t.equal(clockOffsetFromAnswer({ serverTime: serverTime(NOW), sentAt: NOW, receivedAt: NOW }), 0);
  t.equal(serverTime(NOW), '2026-01-01T00:00:00.000Z');
  for (const st of [
    undefined,
    42,
    '',
    'yesterday',
    '2026-01-01T00:00:00+08:00',
    '2026-13-01T00:00:00.000Z',
  ]) {
    t.equal(clockOffsetFromAnswer({ serverTime: st, sentAt: NOW, receivedAt: NOW }), undefined, String(st));
  }
  t.equal(
    clockOffsetFromAnswer({ serverTime: serverTime(NOW), sentAt: Number.NaN, receivedAt: NOW }),
    undefined,
  );
});
