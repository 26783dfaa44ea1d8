/**
 * Lookups over the payments derived from records: by ref (refs are unique per house), by
 * Idempotency-Key, by receipt digest, and the payments not yet final (busy terminals, resumption).
 * Kept up to date by the service after every record it applies.
 */
import { FINAL, holdsTerminal, type Payment } from './payment-model.js';

export class PaymentIndex {
  readonly #byKey = new Map<string, Payment>();
  readonly #byRef = new Map<string, Payment>();
  readonly #byDigest = new Map<string, Payment>();
  readonly #open = new Map<string, Payment>();

  /** Takes a payment in, or its change. */
  add(p: Payment): void {
    this.#byRef.set(p.ref, p);
    if (p.idempotencyKey) this.#byKey.set(p.idempotencyKey, p);
    if (p.receipt) this.#byDigest.set(p.receipt.digest, p);
    if (FINAL.has(p.state)) this.#open.delete(p.id);
    else this.#open.set(p.id, p);
  }

  byRef(ref: string): Payment | undefined {
    return this.#byRef.get(ref);
  }

  byKey(key: string): Payment | undefined {
    return this.#byKey.get(key);
  }

  byDigest(digest: string): Payment | undefined {
    return this.#byDigest.get(digest);
  }

  /** The payments not final. */
  open(): Payment[] {
    return [...this.#open.values()];
  }

  /** The payment holding `deviceId` (a sale in progress or unresolved, a reader waiting for a tap). */
  holder(deviceId: string): Payment | undefined {
    for (const p of this.#open.values()) if (p.deviceId === deviceId && holdsTerminal(p)) return p;
    return undefined;
  }
}
