/**
 * Bank terminal ECR link, framing (DESIGN.md, "Serial wire protocols" 3; docs/protocols.md,
 * "Bank terminal (ECR link)").
 *
 * ```
 * frame = STX len data ETX lrc     ; STX 02, ETX 03
 * len   = 2OCTET                    ; the byte count of data as four BCD digits: 01 23 = 123
 * data  = 0*9999OCTET               ; UTF-8, no byte below 20 (fields are checked by message-codec.ts)
 * lrc   = OCTET                     ; XOR of len, data and ETX (not STX)
 * ACK   = 06, NAK = 15              ; single bytes, recognised between frames
 * ```
 *
 * {@link EcrFrameParser} is a streaming parser: bytes in, in chunks of any size, {@link EcrItem}s
 * out in wire order. It never throws on wire input and holds at most one frame. A frame that turns
 * out bad is re-scanned from the byte after its STX, so a stray STX in noise never hides the real
 * frame behind it: the parser is back in step at the first STX that starts a good frame.
 */

export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NAK = 0x15;
/** Largest DATA a frame can carry: four BCD digits. */
export const ECR_MAX_DATA_BYTES = 9999;
/** STX, two LEN bytes, ETX and LRC around the DATA. */
export const ECR_FRAME_OVERHEAD = 5;

/**
 * Why bytes were dropped:
 * - `bcd`: a LEN nibble over 9. Answered by NAK.
 * - `cut`: a byte below 20 where DATA should continue (DATA never holds one): the frame was cut
 *   short, or its STX was noise, and that byte most likely starts what follows (an STX, an ACK).
 *   Not answered: the sender of a cut frame resends after its ACK timeout anyway, and a NAK to a
 *   stray STX would make the peer resend a frame that is about to be acknowledged.
 * - `etx`: the byte after DATA is not ETX. Answered by NAK.
 * - `lrc`: the LRC does not match. Answered by NAK.
 * - `noise`: bytes between frames that are none of STX, ACK, NAK; reported once per run. Not answered.
 */
export type EcrFrameFault = 'bcd' | 'cut' | 'etx' | 'lrc' | 'noise';

/** Faults the receiver answers with NAK (DESIGN.md: a bad LRC, ETX or BCD nibble). */
export const NAK_FAULTS: ReadonlySet<EcrFrameFault> = new Set(['bcd', 'etx', 'lrc']);

/** What the parser makes of the bytes, in wire order. */
export type EcrItem =
  | { kind: 'frame'; data: Buffer }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'malformed'; reason: EcrFrameFault };

/** The LRC of a frame carrying `data` with LEN `len` (two bytes): XOR of LEN, DATA and ETX. */
export function ecrLrc(len: Uint8Array, data: Uint8Array): number {
  let lrc = ETX;
  for (const byte of len) lrc ^= byte;
  for (const byte of data) lrc ^= byte;
  return lrc;
}

/** LEN for `length` DATA bytes: four BCD digits in two bytes (123 → 01 23). */
export function bcdLength(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > ECR_MAX_DATA_BYTES) {
    throw new RangeError(`a frame carries 0–${ECR_MAX_DATA_BYTES} data bytes, got ${length}`);
  }
  const digits = String(length).padStart(4, '0');
  return Buffer.from(digits, 'hex'); // "0123" read as hex is exactly the BCD bytes 01 23
}

/** The value of one BCD byte (0–99), or -1 when a nibble is over 9. */
function bcdByte(byte: number): number {
  const high = byte >> 4;
  const low = byte & 0x0f;
  return high > 9 || low > 9 ? -1 : high * 10 + low;
}

/** Fault injection for {@link encodeEcrFrame}. */
export interface EncodeEcrFrameOptions {
  /** Send an LRC that does not match (every bit flipped). */
  badLrc?: boolean;
}

/** The bytes of one frame carrying `data`. Throws a `RangeError` for more than 9999 bytes. */
export function encodeEcrFrame(data: Uint8Array, options: EncodeEcrFrameOptions = {}): Buffer {
  const len = bcdLength(data.length);
  const lrc = ecrLrc(len, data) ^ (options.badLrc === true ? 0xff : 0);
  return Buffer.concat([Buffer.of(STX), len, data, Buffer.of(ETX, lrc)]);
}

/** Where in a frame the parser is: between frames, at a LEN byte, in DATA, at ETX, at LRC. */
type State = 'idle' | 'len1' | 'len2' | 'data' | 'etx' | 'lrc';

/** Streaming frame parser; see the file comment. One per connection: {@link reset} after a reconnect. */
export class EcrFrameParser {
  /** The frame being read, from its STX; at most a whole frame. */
  readonly #frame = Buffer.alloc(ECR_MAX_DATA_BYTES + ECR_FRAME_OVERHEAD);
  #length = 0;
  #state: State = 'idle';
  #dataLength = 0;
  /** In a run of noise already reported (also the bytes re-scanned after a bad frame). */
  #quiet = false;

  /** Bytes of the frame being read held in memory. */
  get bufferedBytes(): number {
    return this.#length;
  }

  /** Forgets a partial frame (a reconnect: a frame cut by the disconnect is never glued to the next). */
  reset(): void {
    this.#length = 0;
    this.#state = 'idle';
    this.#quiet = false;
  }

  /** Parses `chunk`; returns what it completed, in order. Never throws. */
  feed(chunk: Uint8Array): EcrItem[] {
    const out: EcrItem[] = [];
    // Bytes of bad frames are re-scanned before the rest of the input: a stack of inputs.
    const inputs: { bytes: Uint8Array; at: number }[] = [{ bytes: chunk, at: 0 }];
    while (inputs.length > 0) {
      const input = inputs[inputs.length - 1] as { bytes: Uint8Array; at: number };
      if (input.at >= input.bytes.length) {
        inputs.pop();
        continue;
      }
      const rescan = this.#step(input.bytes[input.at++] as number, out);
      if (rescan !== undefined) inputs.push({ bytes: rescan, at: 0 });
    }
    return out;
  }

  /** Takes one byte; returns the bytes to re-scan when it showed the frame being read to be bad. */
  #step(byte: number, out: EcrItem[]): Buffer | undefined {
    if (this.#state === 'idle') {
      if (byte === STX) {
        this.#quiet = false;
        this.#frame[0] = byte;
        this.#length = 1;
        this.#state = 'len1';
      } else if (byte === ACK || byte === NAK) {
        this.#quiet = false;
        out.push({ kind: byte === ACK ? 'ack' : 'nak' });
      } else if (!this.#quiet) {
        this.#quiet = true;
        out.push({ kind: 'malformed', reason: 'noise' });
      }
      return undefined;
    }
    this.#frame[this.#length++] = byte;
    switch (this.#state) {
      case 'len1':
      case 'len2': {
        const value = bcdByte(byte);
        if (value < 0) return this.#fail('bcd', out);
        if (this.#state === 'len1') {
          this.#dataLength = value * 100;
          this.#state = 'len2';
        } else {
          this.#dataLength += value;
          this.#state = this.#dataLength === 0 ? 'etx' : 'data';
        }
        return undefined;
      }
      case 'data':
        if (byte < 0x20) return this.#fail('cut', out);
        if (this.#length === 3 + this.#dataLength) this.#state = 'etx';
        return undefined;
      case 'etx':
        if (byte !== ETX) return this.#fail('etx', out);
        this.#state = 'lrc';
        return undefined;
      default: {
        const data = this.#frame.subarray(3, 3 + this.#dataLength);
        if (byte !== ecrLrc(this.#frame.subarray(1, 3), data)) return this.#fail('lrc', out);
        out.push({ kind: 'frame', data: Buffer.from(data) }); // a copy: the buffer is reused
        this.#length = 0;
        this.#state = 'idle';
        return undefined;
      }
    }
  }

  /** Reports the frame being read as bad and hands back its bytes after the STX for re-scanning. */
  #fail(reason: EcrFrameFault, out: EcrItem[]): Buffer {
    out.push({ kind: 'malformed', reason });
    const rescan = Buffer.from(this.#frame.subarray(1, this.#length));
    this.#length = 0;
    this.#state = 'idle';
    this.#quiet = true; // what is re-scanned belongs to the fault just reported
    return rescan;
  }
}
