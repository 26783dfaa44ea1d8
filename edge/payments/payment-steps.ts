/**
 * The order of payment steps: the steps of one payment run one at a time (a result, a query, a
 * void never race), creations run one at a time (idempotency keys and busy terminals are checked
 * against what is already created), and everything under way can be waited for at close.
 */
export class PaymentSteps {
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #inflight = new Set<Promise<unknown>>();
  #createChain: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after the other steps of payment `id`. */
  onPayment<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.#chains.get(id) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.#chains.set(id, next);
    const done = () => {
      if (this.#chains.get(id) === next) this.#chains.delete(id);
    };
    next.then(done, done);
    return this.track(next);
  }

  /** Runs `fn` after the other creations. */
  create<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#createChain.catch(() => undefined).then(fn);
    this.#createChain = next;
    return this.track(next);
  }

  /** Counts `p` as under way until it settles. */
  track<T>(p: Promise<T>): Promise<T> {
    this.#inflight.add(p);
    const drop = () => this.#inflight.delete(p);
    p.then(drop, drop);
    return p;
  }

  /** Resolves once everything under way now has settled. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
  }
}
