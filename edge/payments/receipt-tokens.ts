/**
 * Receipt tokens: a random 128-bit token (base64url) per approved payment, kept only on the edge
 * (`receipt-tokens.json` in the data dir, written durably) and in the receipt's QR code. Records
 * carry only its digest (hex SHA-256), so the cloud can serve the receipt page without the token
 * ever leaving the house except in the customer's hand.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DurableFileAdapter } from '../store/durable-file-adapter.js';

/** Hex SHA-256 of a token: what the records and the cloud know of it. */
export function receiptDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class ReceiptTokens {
  readonly #file: DurableFileAdapter<Record<string, string>>;
  readonly #tokens: Map<string, string>;

  private constructor(file: DurableFileAdapter<Record<string, string>>, tokens: Record<string, string>) {
    this.#file = file;
    this.#tokens = new Map(Object.entries(tokens));
  }

  static async open(dataDir: string): Promise<ReceiptTokens> {
    const file = new DurableFileAdapter<Record<string, string>>(join(dataDir, 'receipt-tokens.json'), {
      stringify: (d) => JSON.stringify(d),
    });
    return new ReceiptTokens(file, (await file.read()) ?? {});
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
    this.#tokens.set(paymentId, token);
    await this.#file.write(Object.fromEntries(this.#tokens));
    return token;
  }
}
