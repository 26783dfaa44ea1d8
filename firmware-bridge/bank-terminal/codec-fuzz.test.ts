/**
 * Fuzz of the ECR codecs. One long stream of good frames, mutated frames (bit flips, inserted,
 * deleted, repeated and cut bytes), random bytes rich in STX/ETX/ACK/NAK, LENs claiming more than
 * follows, ACKs and NAKs — at least 100,000 random or mutated pieces — fed to the streaming parser
 * in chunks of random sizes. Checks: it never throws and never holds more than one frame; it agrees
 * item for item with a reference decoder written here straight from the spec (one that knows where
 * each item lies in the stream); and after garbage it is back in step at the next STX: every good
 * frame placed after garbage is decoded, unless a good frame made of garbage and its first bytes
 * took them (counted; the protocol cannot tell those apart). Every decoded DATA goes through the
 * message parser, which never throws and accepts only what the encoder accepts.
 * Seeded: reproduce with `FUZZ_SEED=<seed in the name>`.
 */

import t from 'tap';
import { seededRandom } from '../../test/helpers/seeded-random.js';
import {
  ACK,
  ECR_FRAME_OVERHEAD,
  ECR_MAX_DATA_BYTES,
  EcrFrameParser,
  type EcrItem,
  ETX,
  encodeEcrFrame,
  NAK,
  STX,
} from './codec.js';
import {
  type EcrEdgeMessage,
  type EcrParsed,
  type EcrTerminalMessage,
  encodeEcrMessage,
  parseEcrMessage,
} from './message-codec.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0xec12);
const GARBAGE_PIECES = 100_000;
const { random, int, pick } = seededRandom(SEED);

const INTERESTING = [STX, ETX, ACK, NAK, 0x00, 0x01, 0x7c, 0x7f, 0x99, 0x9a, 0xe6, 0xff];
const TEXT = [...'abcXYZ 019-:，。', '水', '费', '请', '刷', '卡', '😀', 'é'];
const text = (max: number) => Array.from({ length: int(max + 1) }, () => pick(TEXT)).join('');
const ref = () =>
  Array.from({ length: 12 }, () => pick([...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'])).join('');
const digits = (n: number) => Array.from({ length: n }, () => int(10)).join('');

/** A random message either side may send, valid by construction. */
function randomMessage(): EcrEdgeMessage | EcrTerminalMessage {
  const time = `2026${String(1 + int(12)).padStart(2, '0')}${String(1 + int(28)).padStart(2, '0')}235959`;
  switch (int(8)) {
    case 0:
      return { type: 'S', ref: ref(), amountFen: 1 + int(10_000_000), memo: text(20) };
    case 1:
      return { type: 'Q', ref: ref() };
    case 2:
      return { type: 'V', ref: ref() };
    case 3:
      return { type: 'T' };
    case 4:
      return { type: 'P', ref: ref(), prompt: text(16) };
    case 5:
      return {
        ...{ type: 'R', ref: ref(), code: pick(['00', '51', '55', 'C', 'PD', 'NF', 'VD', '05']) },
        ...{
          amountFen: int(1_000_000),
          maskedPan: pick(['', `621700${'*'.repeat(2 + int(8))}${digits(4)}`]),
        },
        ...{ authCode: digits(int(7)), traceNo: digits(6), batchNo: digits(6), time, text: text(30) },
      };
    case 6:
      return { type: 'VR', ref: ref(), code: pick(['00', 'NF', '12']), traceNo: digits(6), time };
    default:
      return { type: 'TR', batchNo: digits(1 + int(6)), count: int(500), totalFen: int(99_999_999) };
  }
}

function mutate(bytes: Buffer): Buffer {
  const out = [...bytes];
  for (let n = 1 + int(3); n > 0; n--) {
    const at = int(out.length + 1);
    const op = int(5);
    if (op === 0 && out.length > 0) out[at % out.length] = (out[at % out.length] ?? 0) ^ (1 << int(8));
    else if (op === 1) out.splice(at, 0, int(2) ? pick(INTERESTING) : int(256));
    else if (op === 2) out.splice(at, 1 + int(3));
    else if (op === 3) out.splice(at, 0, ...out.slice(at, at + int(20)));
    else out.length = Math.min(out.length, at); // cut short
  }
  return Buffer.from(out);
}

function garbage(): Buffer {
  const r = random();
  if (r < 0.55) return mutate(encodeEcrFrame(encodeEcrMessage(randomMessage())));
  if (r < 0.9)
    return Buffer.from(Array.from({ length: int(60) }, () => (int(3) ? int(256) : pick(INTERESTING))));
  if (r < 0.999) {
    // A LEN claiming far more than follows, then a few DATA-like bytes.
    const data = Array.from({ length: int(30) }, () => 0x20 + int(95));
    return Buffer.from([STX, 0x10 * int(10) + int(10), 0x99, ...data]);
  }
  // Nearly the largest frame, with a bad LRC: the parser holds it all, then lets it go.
  return Buffer.concat([Buffer.from([STX, 0x99, 0x99]), Buffer.alloc(9999, 0x41), Buffer.of(ETX, 0x00)]);
}

interface Located {
  item: EcrItem;
  start: number;
  end: number;
}

/** The spec as a plain loop over the whole stream: at each byte, what DESIGN.md says it is. */
function referenceDecode(b: Buffer): Located[] {
  const out: Located[] = [];
  let quiet = false;
  for (let i = 0; i < b.length; ) {
    const byte = b[i] as number;
    if (byte === ACK || byte === NAK) {
      out.push({ item: { kind: byte === ACK ? 'ack' : 'nak' }, start: i, end: i });
      quiet = false;
      i++;
      continue;
    }
    if (byte !== STX) {
      if (!quiet) out.push({ item: { kind: 'malformed', reason: 'noise' }, start: i, end: i });
      quiet = true;
      i++;
      continue;
    }
    quiet = false;
    const verdict = frameAt(b, i);
    if (verdict === 'incomplete') break; // the rest is a frame still arriving
    if (verdict.kind === 'frame') {
      out.push({ item: { kind: 'frame', data: verdict.data }, start: i, end: verdict.end });
      i = verdict.end + 1;
      continue;
    }
    out.push({ item: { kind: 'malformed', reason: verdict.reason }, start: i, end: verdict.at });
    quiet = true; // the bytes after this STX are looked at again, their noise already reported
    i++;
  }
  return out;
}

type Verdict =
  | 'incomplete'
  | { kind: 'frame'; data: Buffer; end: number }
  | { kind: 'bad'; reason: 'bcd' | 'cut' | 'etx' | 'lrc'; at: number };

function frameAt(b: Buffer, i: number): Verdict {
  let length = 0;
  for (const at of [i + 1, i + 2]) {
    if (at >= b.length) return 'incomplete';
    const byte = b[at] as number;
    if (byte >> 4 > 9 || (byte & 15) > 9) return { kind: 'bad', reason: 'bcd', at };
    length = length * 100 + (byte >> 4) * 10 + (byte & 15);
  }
  for (let at = i + 3; at < i + 3 + length; at++) {
    if (at >= b.length) return 'incomplete';
    if ((b[at] as number) < 0x20) return { kind: 'bad', reason: 'cut', at };
  }
  const etx = i + 3 + length;
  if (etx >= b.length) return 'incomplete';
  if (b[etx] !== ETX) return { kind: 'bad', reason: 'etx', at: etx };
  if (etx + 1 >= b.length) return 'incomplete';
  let lrc = 0;
  for (let at = i + 1; at <= etx; at++) lrc ^= b[at] as number;
  if (b[etx + 1] !== lrc) return { kind: 'bad', reason: 'lrc', at: etx + 1 };
  return { kind: 'frame', data: b.subarray(i + 3, etx), end: etx + 1 };
}

const same = (a: EcrItem, b: EcrItem) =>
  a.kind === b.kind &&
  (a.kind !== 'frame' || (b.kind === 'frame' && a.data.equals(b.data))) &&
  (a.kind !== 'malformed' || (b.kind === 'malformed' && a.reason === b.reason));

t.test(`frame parser: ${GARBAGE_PIECES} garbage pieces among good frames (FUZZ_SEED=${SEED})`, async (t) => {
  const pieces: Buffer[] = [];
  const probes: { start: number; end: number; message: EcrEdgeMessage | EcrTerminalMessage }[] = [];
  let length = 0;
  let garbagePieces = 0;
  while (garbagePieces < GARBAGE_PIECES) {
    const r = random();
    let piece: Buffer;
    if (r < 0.6) {
      piece = garbage();
      garbagePieces++;
    } else if (r < 0.65) piece = Buffer.of(pick([ACK, NAK]));
    else piece = encodeEcrFrame(encodeEcrMessage(randomMessage()));
    pieces.push(piece);
    length += piece.length;
    if (r < 0.6 && int(2)) {
      // A probe: a good frame right after garbage, whose position is known.
      const message = randomMessage();
      const frame = encodeEcrFrame(encodeEcrMessage(message));
      probes.push({ start: length, end: length + frame.length - 1, message });
      pieces.push(frame);
      length += frame.length;
    }
  }
  const stream = Buffer.concat(pieces);

  const parser = new EcrFrameParser();
  const items: EcrItem[] = [];
  let threw = 0;
  let maxBuffered = 0;
  for (let at = 0; at < stream.length; ) {
    const size = random() < 0.8 ? 1 + int(32) : 1 + int(3000);
    try {
      items.push(...parser.feed(stream.subarray(at, at + size)));
    } catch {
      threw++;
    }
    maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
    at += size;
  }
  t.equal(threw, 0, `never threw on ${stream.length} bytes`);
  t.ok(maxBuffered <= ECR_MAX_DATA_BYTES + ECR_FRAME_OVERHEAD, `held at most ${maxBuffered} bytes`);
  t.ok(maxBuffered > 9000, 'frames of 9999 bytes were held (seen between chunks)');

  const reference = referenceDecode(stream);
  t.equal(items.length, reference.length, `as many items as the reference (${items.length})`);
  const firstDiff = reference.findIndex(
    (r, i) => items[i] === undefined || !same(r.item, items[i] as EcrItem),
  );
  t.equal(firstDiff, -1, 'item for item the same as the reference');
  const kinds = new Map<string, number>();
  for (const { item } of reference) {
    const key = item.kind === 'malformed' ? item.reason : item.kind;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  t.same(
    [...kinds.keys()].sort(),
    ['ack', 'bcd', 'cut', 'etx', 'frame', 'lrc', 'nak', 'noise'],
    JSON.stringify([...kinds]),
  );

  // Back in step after garbage: each probe is decoded where it lies, or a good frame overlaps it.
  const frames = reference.filter((r) => r.item.kind === 'frame');
  const starts = new Map(frames.map((f) => [f.start, f]));
  let decoded = 0;
  let overlapped = 0;
  let lost = 0;
  let roundTrips = 0;
  let frameIndex = 0;
  for (const probe of probes) {
    const hit = starts.get(probe.start);
    if (hit !== undefined && hit.end === probe.end) {
      decoded++;
      const data = (hit.item as { data: Buffer }).data;
      const sender = ['S', 'Q', 'V', 'T'].includes(probe.message.type) ? 'edge' : 'terminal';
      const parsed = parseEcrMessage(data, sender as 'edge');
      if (parsed.ok && JSON.stringify(parsed.message) === JSON.stringify(probe.message)) roundTrips++;
      continue;
    }
    while (frameIndex < frames.length && (frames[frameIndex] as Located).end < probe.start) frameIndex++;
    const over = frames[frameIndex];
    if (over !== undefined && over.start < probe.start && over.end >= probe.start) overlapped++;
    else lost++;
  }
  t.equal(lost, 0, `no probe lost without a good frame overlapping it (${probes.length} probes)`);
  t.equal(roundTrips, decoded, `${decoded} probes decoded, each parsing back to its message`);
  t.ok(overlapped <= probes.length / 1000, `${overlapped} probes taken by a frame that began in garbage`);

  // Every decoded DATA through the message parser, both ways: no throw; accepted means encodable.
  let parseThrew = 0;
  let accepted = 0;
  let unencodable = 0;
  for (const { item } of frames) {
    for (const sender of ['edge', 'terminal'] as const) {
      try {
        const parsed = parseEcrMessage((item as { data: Buffer }).data, sender as 'edge');
        if (!parsed.ok) continue;
        accepted++;
        encodeEcrMessage(parsed.message);
      } catch (error) {
        if (error instanceof RangeError) unencodable++;
        else parseThrew++;
      }
    }
  }
  t.equal(parseThrew, 0, 'the message parser never threw');
  t.equal(unencodable, 0, `all ${accepted} accepted messages encode again`);
});

t.test(`message parser: 100000 mutated and random DATA (FUZZ_SEED=${SEED})`, async (t) => {
  let threw = 0;
  let accepted = 0;
  let unencodable = 0;
  for (let n = 0; n < 100_000; n++) {
    const data = int(4)
      ? mutate(encodeEcrMessage(randomMessage()))
      : Buffer.from(Array.from({ length: int(80) }, () => (int(2) ? 0x20 + int(95) : int(256))));
    for (const sender of ['edge', 'terminal'] as const) {
      let parsed: EcrParsed<EcrEdgeMessage | EcrTerminalMessage>;
      try {
        parsed = parseEcrMessage(data, sender as 'edge');
      } catch {
        threw++;
        continue;
      }
      if (!parsed.ok) continue;
      accepted++;
      try {
        encodeEcrMessage(parsed.message);
      } catch {
        unencodable++;
      }
    }
  }
  t.equal(threw, 0, 'never threw');
  t.ok(accepted > 1000, `${accepted} mutants still valid messages`);
  t.equal(unencodable, 0, 'whatever is accepted can be encoded');
});
