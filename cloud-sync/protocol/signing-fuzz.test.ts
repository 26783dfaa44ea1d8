/**
 * Fuzz of the `Authorization` check: valid headers mutated (bytes flipped, inserted, deleted,
 * duplicated; parameters dropped, repeated, reordered, re-valued), parameter soups and random
 * noise, plus values that are not strings at all. Checks that `parseAuthorization` and
 * `verifyRequest` never throw, always answer `ok` or a coded refusal with a reason, and accept
 * nothing but a header that parses to the very fields that were signed.
 * Seeded: a failure reproduces with `FUZZ_SEED=<seed printed in the test name>`.
 */

import t from 'tap';
import { seededRandom } from '../../test/helpers/seeded-random.js';
import { AuthRefusalCode, parseAuthorization, signRequest, verifyRequest } from './signing.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed5);
const HEADERS = 12_000;
const { random, int, pick } = seededRandom(SEED);

const SECRET = Buffer.from('fuzz-secret');
const HOUSE = 'sy-fuzz-1';
const NOW = 1_767_225_600_000;
const PATH = '/api/v1/sync/records';
const BODY = '{"records":[]}';
const CODES = new Set<string>(Object.values(AuthRefusalCode));
const INTERESTING = [...' ,=;:"\'\t\r\n\0-_.', 'é', '邻', '😀', '\u200b', '\ufeff'];
const NAMES = ['house', 'ts', 'nonce', 'sig', 'House', 'TS', 'x', '', 'sig ', ' house'];

function hex(n: number): string {
  return Array.from({ length: n }, () => '0123456789abcdefABCDEF'[int(22)]).join('');
}

const sent: string[] = [];

function validHeader(): string {
  if (sent.length > 0 && int(10) === 0) return pick(sent); // a replay, or a replay mutated
  const header = signRequest({
    house: int(4) ? HOUSE : pick(['other-house', 'A', 'h'.repeat(64)]),
    secret: SECRET,
    method: 'POST',
    pathAndQuery: PATH,
    body: BODY,
    now: NOW + (int(3) ? 0 : (int(1200) - 600) * 1000),
    nonce: hex(16 + int(49)),
  });
  if (sent.length < 100) sent.push(header);
  return header;
}

function mutate(s: string): string {
  const out = [...s];
  for (let n = 1 + int(3); n > 0; n--) {
    const at = int(out.length + 1);
    const op = int(6);
    if (op === 0 && out.length > 0) {
      const c = (out[at % out.length] as string).charCodeAt(0) ^ (1 << int(7));
      out[at % out.length] = String.fromCharCode(c);
    } else if (op === 1) out.splice(at, 0, pick(INTERESTING));
    else if (op === 2) out.splice(at, 1 + int(3));
    else if (op === 3) out.splice(at, 0, ...out.slice(at, at + int(30)));
    else if (op === 4 && out.length > 0) out[at % out.length] = hex(1);
    else out.splice(at, 0, String(int(10)));
  }
  return out.join('');
}

function reshuffle(header: string): string {
  const [scheme, rest = ''] = header.split(' ', 2);
  const params = rest.split(',');
  const op = int(4);
  if (op === 0) params.splice(int(params.length), 1);
  else if (op === 1) params.push(pick(params) as string);
  else if (op === 2) params.sort(() => random() - 0.5);
  else params[int(params.length)] = `${pick(NAMES)}=${pick([hex(int(70)), String(int(1e12)), '', '"x"'])}`;
  return `${int(5) ? scheme : pick(['Bearer', 'linli-hmac', 'LINLI-HMAC-V2', ''])}${pick([' ', '  ', '\t', ''])}${params.join(pick([',', ', ', ' ,', ';']))}`;
}

function soup(): string {
  const n = int(7);
  return `LINLI-HMAC ${Array.from({ length: n }, () => `${pick(NAMES)}=${pick([hex(int(80)), String(int(1e13) - 1e12), HOUSE, mutate(HOUSE)])}`).join(',')}`;
}

function noise(): string {
  const n = int(int(10) ? 120 : 2000);
  return Array.from({ length: n }, () => (int(4) ? String.fromCharCode(int(128)) : pick(INTERESTING))).join(
    '',
  );
}

function nextHeader(): unknown {
  const r = random();
  if (r < 0.04) return validHeader();
  if (r < 0.5) return mutate(validHeader());
  if (r < 0.7) return reshuffle(validHeader());
  if (r < 0.85) return soup();
  if (r < 0.98) return noise();
  return pick([undefined, null, 42, {}, [validHeader()], Buffer.from(validHeader()), true]);
}

t.test(`${HEADERS} fuzzed Authorization headers (FUZZ_SEED=${SEED})`, async (t) => {
  const seen = new Set<string>();
  const counts = new Map<string, number>();
  const failures: string[] = [];
  for (let i = 0; i < HEADERS && failures.length < 5; i++) {
    const header = nextHeader();
    try {
      const parsed = parseAuthorization(header);
      const res = await verifyRequest({
        header,
        method: 'POST',
        pathAndQuery: PATH,
        body: BODY,
        now: NOW,
        secretFor: async (house) => (house === HOUSE ? SECRET : undefined),
        nonceSeen: async (house, nonce) => {
          const key = `${house}/${nonce}`;
          if (seen.has(key)) return true;
          seen.add(key);
          return false;
        },
      });
      const key = res.ok ? 'ok' : res.code;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (!res.ok && !(CODES.has(res.code) && typeof res.reason === 'string' && res.reason.length > 0)) {
        failures.push(`uncoded refusal ${JSON.stringify(res)} for ${JSON.stringify(header)}`);
      }
      if (!parsed.ok && (res.ok || res.code !== AuthRefusalCode.Malformed)) {
        failures.push(`parse refused but verify said ${key} for ${JSON.stringify(header)}`);
      }
      if (res.ok) {
        // Accepted: then it must parse to fields signed with this house's secret for this request.
        const f = parsed.ok ? parsed.fields : undefined;
        const resigned =
          f &&
          signRequest({
            house: f.house,
            secret: SECRET,
            method: 'POST',
            pathAndQuery: PATH,
            body: BODY,
            now: f.ts * 1000,
            nonce: f.raw.nonce,
          });
        if (!f || resigned?.split('sig=')[1] !== f.sig || f.house !== HOUSE) {
          failures.push(`accepted ${JSON.stringify(header)}`);
        }
      }
    } catch (err) {
      failures.push(`threw ${String(err)} for ${JSON.stringify(header)}`);
    }
  }
  t.same(failures, []);
  t.comment(JSON.stringify(Object.fromEntries(counts)));
  for (const code of [...CODES, 'ok']) t.ok((counts.get(code) ?? 0) > 0, `saw ${code}`);
});
