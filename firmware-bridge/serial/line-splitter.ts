/**
 * The line framing text devices share: a line ends at CR, LF or CR LF (one terminator, also when
 * CR and LF arrive in separate chunks). At most `maxBytes` of a pending line are held: a longer
 * line is reported once (`tooLong`) as soon as it overflows and skipped up to its terminator. A
 * pending partial line is dropped at end of stream. Subclasses decide what a whole line is.
 */

import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;

export abstract class LineSplitter extends Transform {
  #parts: Buffer[] = [];
  #length = 0;
  #discarding = false;
  #afterCr = false;

  constructor(private readonly maxBytes: number) {
    super({ readableObjectMode: true });
  }

  /** A whole line (without its terminator, possibly empty): push a frame or emit `malformed`. */
  protected abstract line(bytes: Buffer): void;

  /** A line went over `maxBytes`: emit `malformed` once. */
  protected abstract tooLong(): void;

  /** Bytes of the pending (unterminated) line held in memory. */
  get bufferedBytes(): number {
    return this.#length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let start = 0;
    if (this.#afterCr && chunk[0] === LF) start = 1; // the LF of a CR LF split across chunks
    this.#afterCr = false;
    for (let i = start; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== CR && byte !== LF) continue;
      this.#append(chunk.subarray(start, i));
      this.#endLine();
      if (byte === CR) {
        if (i + 1 === chunk.length) this.#afterCr = true;
        else if (chunk[i + 1] === LF) i++;
      }
      start = i + 1;
    }
    this.#append(chunk.subarray(start));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#reset();
    callback();
  }

  #append(bytes: Buffer): void {
    if (this.#discarding || bytes.length === 0) return;
    if (this.#length + bytes.length > this.maxBytes) {
      this.#reset();
      this.#discarding = true;
      this.tooLong();
      return;
    }
    this.#parts.push(Buffer.from(bytes)); // copy: the caller may reuse its chunk
    this.#length += bytes.length;
  }

  #endLine(): void {
    if (this.#discarding) {
      this.#reset();
      return;
    }
    const line = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts);
    this.#reset();
    this.line(line);
  }

  #reset(): void {
    this.#parts = [];
    this.#length = 0;
    this.#discarding = false;
  }
}
