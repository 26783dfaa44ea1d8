/**
 * A sync request body (`{"records":[…]}`) built in place: each record's JSON, exactly as the source
 * holds it, is copied into one reused buffer. A drain of a million records then makes no garbage
 * per record: no parsed object, no re-encoded string, no joined copy of the body. The buffer grows
 * to the largest body built and is kept for the next one.
 */
const OPEN = Buffer.from('{"records":[');
const CLOSE = Buffer.from(']}');
const COMMA = 0x2c;

export class BatchBody {
  #buf: Buffer = Buffer.alloc(0);
  #len = 0;
  #count = 0;
  #lastSeq = 0;

  /** `maxBytes`: the largest body to build (a single larger record still goes in alone). */
  constructor(readonly maxBytes: number) {
    this.reset();
  }

  /** Records in the body. */
  get count(): number {
    return this.#count;
  }

  /** Seq of the last record added (0 when empty). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Empties the body for the next batch. */
  reset(): void {
    this.#reserve(OPEN.length + CLOSE.length);
    this.#len = OPEN.copy(this.#buf, 0);
    this.#count = 0;
    this.#lastSeq = 0;
  }

  /**
   * Appends a record's JSON; false (and nothing added) when it would take the body past
   * `maxBytes`. The first record of a body always goes in.
   */
  add(seq: number, json: Uint8Array): boolean {
    const comma = this.#count > 0 ? 1 : 0;
    const end = this.#len + comma + json.length + CLOSE.length;
    if (this.#count > 0 && end > this.maxBytes) return false;
    this.#reserve(end);
    if (comma) this.#buf[this.#len++] = COMMA;
    this.#buf.set(json, this.#len);
    this.#len += json.length;
    this.#count++;
    this.#lastSeq = seq;
    return true;
  }

  /** The finished body; valid until the next {@link reset} or {@link add}. */
  bytes(): Buffer {
    CLOSE.copy(this.#buf, this.#len);
    return this.#buf.subarray(0, this.#len + CLOSE.length);
  }

  /** Grows the buffer (keeping its content) to hold `bytes`: doubling, capped at `maxBytes`. */
  #reserve(bytes: number): void {
    if (this.#buf.length >= bytes) return;
    let size = Math.max(this.#buf.length * 2, 64 * 1024);
    while (size < bytes) size *= 2;
    const next = Buffer.allocUnsafe(Math.max(bytes, Math.min(size, this.maxBytes)));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
}
