/**
 * Receipt tokens: a random 128-bit token (base64url) per approved payment, kept only on the edge
 * and in the receipt's QR code. Records carry only its digest (hex SHA-256), so the cloud can serve
 * the receipt page without the token ever leaving the house except in the customer's hand.
 *
 * The tokens live in `receipt-tokens.jsonl` in the data dir, one `{"p","t"}` line per payment,
 * appended and fsynced (appends that meet are written and synced together) before the record that
 * names the digest is written. A torn last line (a crash mid-append) is skipped: its record was
 * never written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../store/durable-fs.js';

/** Hex SHA-256 of a token: what the records and the cloud know of it. */
export function receiptDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class ReceiptTokens {
  readonly #tokens = new Map<string, string>();
  readonly #file: FileHandle;
  #pending: { line: string; done: () => void; fail: (err: unknown) => void }[] = [];
  #writing = false;

  private constructor(file: FileHandle) {
    this.#file = file;
  }

  static async open(dataDir: string): Promise<ReceiptTokens> {
    const path = join(dataDir, 'receipt-tokens.jsonl');
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const tokens = new ReceiptTokens(await open(path, 'a', 0o600));
    if (text === undefined) await fsyncDir(dataDir); // the new file's name is durable too
    text ??= '';
    for (const line of text.split('\n')) {
      try {
        const { p, t } = JSON.parse(line) as { p: string; t: string };
        if (typeof p === 'string' && typeof t === 'string') tokens.#tokens.set(p, t);
      } catch {
        // an empty or torn line
      }
    }
    return tokens;
  }

  /** The payment's token, if one was issued. */
  get(paymentId: string): string | undefined {
    return this.#tokens.get(paymentId);
  }

  /** The payment's token, issued (and on disk) before it is returned. */
  async issue(paymentId: string): Promise<string> {
    const known = this.#tokens.get(paymentId);
    if (known) return known;
    const token = randomBytes(16).toString('base64url');
    // A torn line before this one must not swallow it: each line starts on its own.
    await new Promise<void>((done, fail) => {
      this.#pending.push({ line: `\n${JSON.stringify({ p: paymentId, t: token })}`, done, fail });
      void this.#flush();
    });
    this.#tokens.set(paymentId, token);
    return token;
  }

  async close(): Promise<void> {
    while (this.#writing || this.#pending.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.#file.close();
  }

  async #flush(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        await this.#file.appendFile(batch.map((b) => b.line).join(''));
        await this.#file.datasync();
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.fail(err);
      }
    }
    this.#writing = false;
  }
}
