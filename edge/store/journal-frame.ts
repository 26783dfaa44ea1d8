import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/**
 * Journal framing: `[u32 LE length][u32 LE crc32][payload]`. The CRC covers the four length bytes
 * and the payload, so a zeroed or garbled header never passes. Length 0 is never written.
 */
export const FRAME_HEADER_BYTES = 8;

/** Encodes payloads as consecutive frames in one buffer. */
export function encodeFrames(payloads: readonly Buffer[]): Buffer {
  let total = 0;
  for (const p of payloads) total += FRAME_HEADER_BYTES + p.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of payloads) {
    out.writeUInt32LE(p.length, at);
    out.writeUInt32LE(crc32(p, crc32(out.subarray(at, at + 4))), at + 4);
    p.copy(out, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + p.length;
  }
  return out;
}

/** Why a {@link FrameReader} stopped: the clean end, or the kind of damage found at `offset`. */
export type FrameStopReason = 'eof' | 'partial' | 'bad-length' | 'bad-crc';

export type FrameResult =
  | { ok: true; payload: Buffer; offset: number }
  | { ok: false; offset: number; reason: FrameStopReason };

/** Reads frames of one segment file in chunks, checking each frame's length and CRC. */
export class FrameReader {
  readonly #handle: FileHandle;
  readonly #maxEntryBytes: number;
  readonly #chunkBytes: number;
  readonly #transient: boolean;
  #buf: Buffer = Buffer.alloc(0);
  /** The allocation `#buf` lies in (reused when payloads are transient). */
  #store: Buffer = this.#buf;
  /** File offset of `#buf[0]`. */
  #bufStart: number;
  #pos = 0;
  #eof = false;

  /**
   * With `transient`, one buffer is reused for the whole file: a payload is valid only until the
   * next call to `next()` (for readers that parse each payload at once). A drain reading hundreds
   * of MB otherwise leaves a dead 1 MiB buffer behind per MiB read until the GC frees them. A
   * transient reader may start with `store`, a buffer left by the reader of the previous file
   * ({@link FrameReader.store}), so a read across segments keeps one buffer.
   */
  constructor(
    handle: FileHandle,
    offset: number,
    maxEntryBytes: number,
    chunkBytes = 1 << 20,
    transient = false,
    store?: Buffer,
  ) {
    this.#handle = handle;
    this.#bufStart = offset;
    this.#maxEntryBytes = maxEntryBytes;
    this.#chunkBytes = chunkBytes;
    this.#transient = transient;
    if (transient && store) this.#store = store;
  }

  /** The read buffer, for the transient reader of the next file. */
  get store(): Buffer {
    return this.#store;
  }

  /** The next frame, or why there is none. After a failure it keeps returning that failure. */
  async next(): Promise<FrameResult> {
    const offset = this.#bufStart + this.#pos;
    if (!(await this.#ensure(FRAME_HEADER_BYTES))) {
      return { ok: false, offset, reason: this.#available() === 0 ? 'eof' : 'partial' };
    }
    const length = this.#buf.readUInt32LE(this.#pos);
    if (length === 0 || length > this.#maxEntryBytes) return { ok: false, offset, reason: 'bad-length' };
    if (!(await this.#ensure(FRAME_HEADER_BYTES + length))) return { ok: false, offset, reason: 'partial' };
    const start = this.#pos + FRAME_HEADER_BYTES;
    const payload = this.#buf.subarray(start, start + length);
    const expected = this.#buf.readUInt32LE(this.#pos + 4);
    if (crc32(payload, crc32(this.#buf.subarray(this.#pos, this.#pos + 4))) !== expected) {
      return { ok: false, offset, reason: 'bad-crc' };
    }
    this.#pos = start + length;
    return { ok: true, payload, offset };
  }

  #available(): number {
    return this.#buf.length - this.#pos;
  }

  /**
   * Makes `n` bytes available at `#pos`; false at end of file. Payloads handed out stay valid,
   * unless the reader is transient.
   */
  async #ensure(n: number): Promise<boolean> {
    while (this.#available() < n) {
      if (this.#eof) return false;
      const keep = this.#available();
      // Room for the whole frame and at least a chunk (less what is kept, always < n).
      const size = Math.max(this.#chunkBytes, n);
      const reuse = this.#transient && this.#store.length >= size;
      const next = reuse ? this.#store : Buffer.allocUnsafe(size);
      this.#buf.copy(next, 0, this.#pos); // overlapping regions are copied correctly
      this.#store = next;
      const { bytesRead } = await this.#handle.read(
        next,
        keep,
        next.length - keep,
        this.#bufStart + this.#buf.length,
      );
      if (bytesRead === 0) this.#eof = true;
      this.#bufStart += this.#pos;
      this.#buf = next.subarray(0, keep + bytesRead);
      this.#pos = 0;
    }
    return true;
  }
}

/**
 * Best-effort count of the frames (whole or partial) in bytes dropped from a torn tail: walks
 * length fields while they are plausible. At least 1 when `tail` is not empty.
 */
export function countTornFrames(tail: Buffer, maxEntryBytes: number): number {
  let count = 0;
  let at = 0;
  while (at < tail.length) {
    count++;
    if (tail.length - at < FRAME_HEADER_BYTES) break;
    const length = tail.readUInt32LE(at);
    if (length === 0 || length > maxEntryBytes) break;
    at += FRAME_HEADER_BYTES + length;
  }
  return count;
}
