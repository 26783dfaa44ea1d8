/**
 * Fuzz of the modem codecs. The response decoder gets modem output (result codes, prompts, URCs,
 * echo), mutated output, noise and over-long runs in chunks of random sizes: it must never throw,
 * never hold more than one line, decode exactly as when fed the whole stream at once, and still
 * decode a good line afterwards. The PDU codec gets random texts (round trip, part sizes, no
 * split surrogate pair) and mutated PDUs (never throws). Seeded: reproduce with `FUZZ_SEED=<seed>`.
 */

import t from 'tap';
import { seededRandom } from '../../test/helpers/seeded-random.js';
import { MODEM_MAX_LINE_BYTES, type ModemLine, ModemLineDecoder } from './codec.js';
import { decodeSmsSubmitPdu, encodeSmsSubmitPdus } from './sms-pdu.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x6d0de);
const CHUNKS = 100_000;

const { random, int, pick } = seededRandom(SEED);

const RESPONSES = [
  '\r\nOK\r\n',
  '\r\nERROR\r\n',
  '\r\n+CMS ERROR: 330\r\n',
  '\r\n+CME ERROR: 10\r\n',
  '\r\n+CME ERROR: SIM not inserted\r\n',
  '\r\n> ',
  '\r\n+CMGS: 17\r\n\r\nOK\r\n',
  '\r\n+CSQ: 23,99\r\n\r\nOK\r\n',
  '\r\nRING\r\n',
  '\r\n+CMTI: "SM",12\r\n',
  '\r\n^BOOT:38457,0,0,0,72\r\n',
  'AT+CMGS=19\r',
  'ATE0\r\r\nOK\r\n',
  '\r\n+CMT: ,24\r\n0791683108200005F0040D91683108108300F00008\r\n',
];
const INTERESTING = [0x00, 0x0a, 0x0d, 0x1a, 0x1b, 0x20, 0x3e, 0x7f, 0x80, 0xff];

function mutate(bytes: Buffer): Buffer {
  const out = [...bytes];
  for (let n = 1 + int(3); n > 0; n--) {
    const at = int(out.length + 1);
    const op = int(4);
    if (op === 0 && out.length > 0) out[at % out.length] = (out[at % out.length] ?? 0) ^ (1 << int(8));
    else if (op === 1) out.splice(at, 0, int(2) ? pick(INTERESTING) : int(256));
    else if (op === 2) out.splice(at, 1 + int(3));
    else out.splice(at, 0, ...out.slice(at, at + int(20)));
  }
  return Buffer.from(out);
}

function nextPiece(): Buffer {
  const r = random();
  const response = () => Buffer.from(pick(RESPONSES), 'latin1');
  if (r < 0.5) return response();
  if (r < 0.8) return mutate(response());
  if (r < 0.95) return Buffer.from(Array.from({ length: int(300) }, () => int(256)));
  const run = Buffer.alloc(MODEM_MAX_LINE_BYTES - 8 + int(3000), 0x41);
  return int(2) ? Buffer.concat([run, Buffer.from('\r\n')]) : run;
}

function chunkSize(): number {
  const r = random();
  if (r < 0.7) return 1 + int(32);
  if (r < 0.95) return 32 + int(512);
  return 1 + int(4000);
}

interface Output {
  lines: ModemLine[];
  malformed: string[];
}

function listen(decoder: ModemLineDecoder): Output {
  const output: Output = { lines: [], malformed: [] };
  decoder.on('data', (line: ModemLine) => output.lines.push(line));
  decoder.on('malformed', (m: { reason: string }) => output.malformed.push(m.reason));
  return output;
}

async function ended(decoder: ModemLineDecoder): Promise<void> {
  decoder.end();
  await new Promise<void>((resolve) => decoder.on('end', resolve));
}

t.test(`response decoder: ${CHUNKS} random chunks (FUZZ_SEED=${SEED})`, async (t) => {
  const decoder = new ModemLineDecoder();
  const chunked = listen(decoder);
  decoder.on('error', (error) => t.fail(`decoder error: ${error.message}`));
  const fed: Buffer[] = [];
  let pending = Buffer.alloc(0);
  let maxBuffered = 0;
  for (let count = 0; count < CHUNKS; count++) {
    if (pending.length < 4000) pending = Buffer.concat([pending, nextPiece()]);
    const chunk = pending.subarray(0, Math.min(chunkSize(), pending.length));
    pending = pending.subarray(chunk.length);
    fed.push(chunk);
    decoder.write(chunk);
    maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
  }
  const probe = Buffer.from('\r\n+CMGS: 5\r\n\r\nOK\r\n', 'latin1');
  fed.push(probe);
  decoder.write(probe);
  await ended(decoder);

  t.ok(maxBuffered <= MODEM_MAX_LINE_BYTES, `buffered at most ${maxBuffered} bytes`);
  const kinds = new Set(chunked.lines.map((line) => line.kind));
  t.same([...kinds].sort(), ['cme-error', 'cms-error', 'echo', 'error', 'info', 'ok', 'prompt', 'urc']);
  t.ok(chunked.malformed.length > 1000, `${chunked.lines.length} lines, ${chunked.malformed.length} dropped`);
  t.same(
    chunked.lines.slice(-2),
    [{ kind: 'info', text: '+CMGS: 5' }, { kind: 'ok' }],
    'good lines still decode',
  );

  const whole = new ModemLineDecoder();
  const reference = listen(whole);
  whole.write(Buffer.concat(fed));
  await ended(whole);
  t.equal(chunked.lines.length, reference.lines.length, 'as many lines as the stream fed at once');
  const firstDiff = chunked.lines.findIndex(
    (l, i) => JSON.stringify(l) !== JSON.stringify(reference.lines[i]),
  );
  t.equal(firstDiff, -1, 'every line equals the one-chunk decoding');
  t.ok(chunked.malformed.join() === reference.malformed.join(), 'the same drops in the same order');
});

const ALPHABET = [...'abcXYZ 019@{€}', '邻', '里', '求', '助', '。', '😀', '🚨', '👵🏻', 'é', 'e\u0301'];

t.test('PDU codec: random texts round-trip; mutated PDUs never throw', async (t) => {
  let bad = 0;
  for (let n = 0; n < 2000; n++) {
    const text = Array.from({ length: int(int(4) ? 100 : 600) }, () => pick(ALPHABET)).join('');
    const to = `${int(2) ? '+86' : ''}1${String(int(1e10)).padStart(10, '0')}`;
    const ref = int(256);
    const pdus = encodeSmsSubmitPdus(to, text, ref);
    const decoded = pdus.map((p) => decodeSmsSubmitPdu(p.pdu));
    const ok =
      decoded.every((d, i) => d !== null && d.to === to && d.tpduLength === pdus[i]?.tpduLength) &&
      decoded.map((d) => d?.text).join('') === text &&
      (pdus.length === 1 || decoded.every((d, i) => d?.concat?.seq === i + 1 && d.concat.ref === ref)) &&
      pdus.every((p) => p.tpduLength <= 164) &&
      decoded.every((d) => !/[\uD800-\uDBFF]$/.test(d?.text ?? ''));
    if (!ok) bad++;
  }
  t.equal(bad, 0, '2000 random texts: exact reassembly, parts in order, no part ends in half a pair');

  let threw = 0;
  let decodedMutants = 0;
  for (let n = 0; n < 20_000; n++) {
    const [pdu] = encodeSmsSubmitPdus('+8613800138000', pick(['求助', 'help', '😀'.repeat(40)]), int(256));
    const mutant = mutate(Buffer.from(pdu?.pdu ?? '', 'hex')).toString('hex');
    try {
      if (decodeSmsSubmitPdu(mutant) !== null) decodedMutants++;
      decodeSmsSubmitPdu(`${mutant}Z`);
    } catch {
      threw++;
    }
  }
  t.equal(threw, 0, `20000 mutated PDUs, none threw (${decodedMutants} still decoded)`);
});
