/**
 * Fuzz of the help-panel line decoder: valid `$HB` and `$AL` lines, mutated lines (bit flips,
 * inserted, deleted and repeated bytes), random noise and over-long runs, fed in chunks of random
 * sizes. Checks that the decoder never throws, never holds more than one line's worth of bytes,
 * agrees with a whole-stream reference decoder on every frame and every dropped line, and still
 * decodes a valid line afterwards. Seeded: a failure reproduces with `FUZZ_SEED=<seed in the name>`.
 */

import t from 'tap';
import { seededRandom } from '../../test/helpers/seeded-random.js';
import {
  encodeAck,
  encodeAlarm,
  encodeFrame,
  encodeHeartbeat,
  PANEL_MAX_LINE_BYTES,
  type PanelFrame,
  PanelLineDecoder,
  parsePanelLine,
} from './codec.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2);
const LINES = 120_000;

const { random, int, pick } = seededRandom(SEED);

const ID_CHARS = 'ABCPab019._-';
const INTERESTING = [
  0x00, 0x0a, 0x0d, 0x20, 0x24, 0x2a, 0x2c, 0x30, 0x39, 0x41, 0x61, 0x7e, 0x7f, 0x80, 0xff,
];

const id = (): string => Array.from({ length: 1 + int(int(4) ? 6 : 32) }, () => pick([...ID_CHARS])).join('');
const seq = (): number => (int(4) ? int(100) : int(65_536));

function validLine(): Buffer {
  const options = { terminator: pick(['\r\n', '\n'] as const), lowerCase: int(4) === 0 };
  const r = random();
  if (r < 0.45) return encodeHeartbeat(id(), seq(), options);
  if (r < 0.9) return encodeAlarm(id(), seq(), pick(['sos', 'service'] as const), options);
  if (r < 0.95) return encodeAck(seq(), options); // the edge's sentence: unknown to the edge's decoder
  return encodeFrame(`HB,${id()},${int(4) ? 65_536 + int(1000) : seq()}`, options);
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
  return Buffer.from(Array.from({ length: int(120) }, () => (int(3) ? int(256) : pick(INTERESTING))));
}

function longRun(): Buffer {
  const run = Buffer.alloc(PANEL_MAX_LINE_BYTES - 6 + int(400), 0x41);
  return int(2) ? Buffer.concat([run, Buffer.from('\r\n', 'latin1')]) : run;
}

function nextLine(): Buffer {
  const r = random();
  if (r < 0.5) return validLine();
  if (r < 0.85) return mutate(validLine());
  if (r < 0.95) return noise();
  return longRun();
}

function chunkSize(): number {
  const r = random();
  if (r < 0.6) return 1 + int(16);
  if (r < 0.95) return 16 + int(256);
  return 1 + int(4000);
}

/** Reference: split the whole stream at LF at once, then judge each line alone. */
function reference(stream: Buffer): { frames: PanelFrame[]; malformed: string[] } {
  const frames: PanelFrame[] = [];
  const malformed: string[] = [];
  let start = 0;
  for (let at = stream.indexOf(0x0a); at !== -1; at = stream.indexOf(0x0a, start)) {
    const result = parsePanelLine(stream.subarray(start, at), 'panel');
    start = at + 1;
    if (result === null) continue;
    if ('reason' in result) malformed.push(result.reason);
    else frames.push(result);
  }
  return { frames, malformed };
}

t.test(`fuzz: ${LINES} random and mutated lines (FUZZ_SEED=${SEED})`, async (t) => {
  const decoder = new PanelLineDecoder();
  const frames: PanelFrame[] = [];
  const malformed: string[] = [];
  decoder.on('data', (frame: PanelFrame) => frames.push(frame));
  decoder.on('malformed', (m: { reason: string }) => malformed.push(m.reason));
  decoder.on('error', (error) => t.fail(`decoder error: ${error.message}`));

  const probe = Buffer.from('\n$AL,B1,12,SOS*1E\r\n', 'latin1');
  const stream = Buffer.concat([...Array.from({ length: LINES }, nextLine), probe]);
  let maxBuffered = 0;
  for (let offset = 0; offset < stream.length; ) {
    const size = chunkSize();
    decoder.write(stream.subarray(offset, offset + size));
    offset += size;
    maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
  }
  decoder.end();
  await new Promise<void>((resolve) => decoder.on('end', resolve));

  t.ok(maxBuffered <= PANEL_MAX_LINE_BYTES - 1, `buffered at most ${maxBuffered} bytes`);
  t.ok(
    frames.length > 10_000 && malformed.length > 10_000,
    `${frames.length} frames, ${malformed.length} dropped`,
  );
  t.same(frames.at(-1), { kind: 'al', buttonId: 'B1', seq: 12, key: 'sos' }, 'a valid line still decodes');

  const expected = reference(stream);
  t.equal(frames.length, expected.frames.length, 'as many frames as the reference');
  const firstDiff = frames.findIndex((f, i) => JSON.stringify(f) !== JSON.stringify(expected.frames[i]));
  t.equal(firstDiff, -1, 'every frame equals the reference decoding');
  const tally = (reasons: string[]) =>
    reasons.reduce<Record<string, number>>((acc, r) => {
      acc[r] = (acc[r] ?? 0) + 1;
      return acc;
    }, {});
  const reasons = tally(malformed);
  t.same(reasons, tally(expected.malformed), 'dropped lines by reason equal the reference');
  t.ok(malformed.join() === expected.malformed.join(), 'and in the same order');
  for (const reason of ['too-long', 'bad-char', 'framing', 'checksum', 'unknown-sentence', 'form']) {
    t.ok((reasons[reason] ?? 0) > 0, `${reason}: ${reasons[reason] ?? 0}`);
  }
});
