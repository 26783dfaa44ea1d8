/**
 * Fuzz of the QR line decoder: valid scans, mutated scans (bit flips, inserted and deleted bytes),
 * random noise and over-long runs, fed in chunks of random sizes. Checks that the decoder never
 * throws, never holds more than one line's worth of bytes, agrees with a whole-stream reference
 * decoder on every scan and every dropped line, and still decodes a valid line afterwards.
 * Seeded: a failure reproduces with `FUZZ_SEED=<seed printed in the test name>`.
 */

import t from 'tap';
import { seededRandom } from '../../test/helpers/seeded-random.js';
import {
  createTextDecoder,
  encodeScan,
  parseQrLine,
  QR_MAX_LINE_BYTES,
  QrLineDecoder,
  type QrScan,
} from './codec.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1);
const CHUNKS = 100_000;

const { random, int, pick } = seededRandom(SEED);

const ALPHABET = [...'abcXYZ019:/?&=.-_ ', '邻', '里', '社', '区', '✓', '😀', '\x1d'];
const AIMS = [undefined, 'Q1', 'E0', 'C1', 'd2'];
const TERMINATORS = ['\r', '\n', '\r\n'] as const;
const INTERESTING = [0x00, 0x0a, 0x0d, 0x1d, 0x1f, 0x5d, 0x7f, 0x80, 0xc3, 0xe4, 0xed, 0xf0, 0xff];

function validScan(): Buffer {
  const text = Array.from({ length: 1 + int(int(2) ? 40 : 400) }, () => pick(ALPHABET)).join('');
  const aim = pick(AIMS);
  return encodeScan(text, { terminator: pick(TERMINATORS), ...(aim === undefined ? {} : { aim }) });
}

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

function noise(): Buffer {
  return Buffer.from(Array.from({ length: int(300) }, () => int(256)));
}

function longRun(): Buffer {
  const run = Buffer.alloc(QR_MAX_LINE_BYTES - 8 + int(5000), 0x61);
  return int(2) ? Buffer.concat([run, Buffer.from(pick(TERMINATORS), 'latin1')]) : run;
}

function nextPiece(): Buffer {
  const r = random();
  if (r < 0.5) return validScan();
  if (r < 0.8) return mutate(validScan());
  if (r < 0.95) return noise();
  return longRun();
}

function chunkSize(): number {
  const r = random();
  if (r < 0.7) return 1 + int(64);
  if (r < 0.95) return 64 + int(1024);
  return 1 + int(8000);
}

/** Reference: split the whole stream at once, then judge each line alone. */
function reference(stream: Buffer): { scans: QrScan[]; malformed: string[] } {
  const lines = stream.toString('latin1').split(/\r\n|\r|\n/);
  lines.pop(); // the unterminated remainder
  const decoder = createTextDecoder('utf-8');
  const scans: QrScan[] = [];
  const malformed: string[] = [];
  for (const line of lines) {
    const result = parseQrLine(Buffer.from(line, 'latin1'), decoder);
    if (result === null) continue;
    if ('reason' in result) malformed.push(result.reason);
    else scans.push(result);
  }
  return { scans, malformed };
}

t.test(`fuzz: ${CHUNKS} random and mutated chunks (FUZZ_SEED=${SEED})`, async (t) => {
  const decoder = new QrLineDecoder();
  const scans: QrScan[] = [];
  const malformed: string[] = [];
  decoder.on('data', (scan: QrScan) => scans.push(scan));
  decoder.on('malformed', (m: { reason: string }) => malformed.push(m.reason));
  decoder.on('error', (error) => t.fail(`decoder error: ${error.message}`));

  const fed: Buffer[] = [];
  let pending = Buffer.alloc(0);
  let maxBuffered = 0;
  let maxChunk = 0;
  let count = 0;
  while (count < CHUNKS) {
    if (pending.length < 8000) pending = Buffer.concat([pending, nextPiece()]);
    const size = Math.min(chunkSize(), pending.length);
    const chunk = pending.subarray(0, size);
    pending = pending.subarray(size);
    fed.push(chunk);
    decoder.write(chunk);
    count++;
    maxChunk = Math.max(maxChunk, chunk.length);
    maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
  }
  const probe = Buffer.from('\r\n]Q1https://x.cn/probe\r\n', 'latin1');
  fed.push(probe);
  decoder.write(probe);
  decoder.end();
  await new Promise<void>((resolve) => decoder.on('end', resolve));

  t.ok(maxBuffered <= QR_MAX_LINE_BYTES, `buffered at most ${maxBuffered} bytes (largest chunk ${maxChunk})`);
  t.ok(scans.length > 1000 && malformed.length > 1000, `${scans.length} scans, ${malformed.length} dropped`);
  t.same(scans.at(-1), { text: 'https://x.cn/probe', symbology: 'Q1' }, 'a valid line still decodes');

  const expected = reference(Buffer.concat(fed));
  t.equal(scans.length, expected.scans.length, 'as many scans as the reference');
  const firstDiff = scans.findIndex((s, i) => JSON.stringify(s) !== JSON.stringify(expected.scans[i]));
  t.equal(firstDiff, -1, 'every scan equals the reference decoding');
  const tally = (reasons: string[]) =>
    reasons.reduce<Record<string, number>>((acc, r) => {
      acc[r] = (acc[r] ?? 0) + 1;
      return acc;
    }, {});
  t.same(tally(malformed), tally(expected.malformed), 'dropped lines by reason equal the reference');
  t.ok(malformed.join() === expected.malformed.join(), 'and in the same order');
});
