/**
 * When to ask the terminal again about an unknown payment (docs/payments.md: 1 s doubling to
 * 5 min, jittered): attempt n waits between half and all of min(max, initial × 2^n), so the
 * queries of many unknown payments spread out. One timer per payment.
 */
export class QueryBackoff {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #attempts = new Map<string, number>();
  #stopped = false;

  constructor(
    private readonly backoff: { initialMs: number; maxMs: number },
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether a query of `id` is waiting for its time. */
  pending(id: string): boolean {
    return this.#timers.has(id);
  }

  /** Runs `fire` after the next delay of `id` (replacing a pending one). */
  schedule(id: string, fire: () => void): void {
    if (this.#stopped) return;
    const attempt = this.#attempts.get(id) ?? 0;
    const ceiling = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(attempt, 30));
    const delay = ceiling / 2 + this.random() * (ceiling / 2);
    clearTimeout(this.#timers.get(id));
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      fire();
    }, delay);
    timer.unref();
    this.#timers.set(id, timer);
  }

  /** One more attempt failed: the next delay doubles. */
  failed(id: string): void {
    this.#attempts.set(id, (this.#attempts.get(id) ?? 0) + 1);
  }

  /** Cancels a pending query of `id` (its attempts are kept). */
  cancel(id: string): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }

  /** `id` is settled: no more queries, its attempts forgotten. */
  forget(id: string): void {
    this.cancel(id);
    this.#attempts.delete(id);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
