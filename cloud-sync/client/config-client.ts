/**
 * The edge's config client (DESIGN.md, "Records and sync": the downlink; protocol/config.ts). It
 * knows nothing of the edge: pending edits, bundles and the version live behind a
 * {@link ConfigSyncStore} the edge implements over its state.
 *
 * One round ({@link ConfigClient.syncOnce}):
 * 1. uplink: the store's pending edits, at most MAX_EDITS and MAX_EDITS_BYTES a request, posted
 *    (signed) to `POST /api/v1/sync/config/edits`; each answer goes to the store to settle before
 *    the next request, until none is pending;
 * 2. downlink: `GET /api/v1/sync/config?since=<version>` (signed, empty body); 304 changes nothing,
 *    a bundle goes to the store to apply atomically with its version. When the cloud answers
 *    `config-since-ahead` (its version is below ours: it was reset), the bundle is pulled from 0.
 *
 * Failures: 401 clock skew → learn the offset from the answer's `serverTime` and retry at once,
 * once; anything else ends the round with `lastError`, and the loop ({@link ConfigClient.start})
 * waits an exponential, fully jittered, capped backoff before the next. Between good rounds it
 * idles; {@link ConfigClient.kick} (a local edit) cuts either wait short.
 */
import {
  CONFIG_EDITS_PATH,
  CONFIG_PATH,
  type ConfigBundle,
  type ConfigEdit,
  type ConfigEditsAnswer,
  ConfigRefusalCode,
  MAX_EDITS,
  MAX_EDITS_BYTES,
} from '../protocol/config.js';
import {
  type ConfigClientOptions,
  type ConfigClientStatus,
  ConfigRequestError,
  type ConfigRoundResult,
  type ConfigSyncError,
} from './config-client-types.js';
import { httpTransport, type Transport } from './http-transport.js';
import { NoAnswerError, type SignedAnswer, SignedRequester } from './signed-requester.js';

export type {
  ConfigClientOptions,
  ConfigClientStatus,
  ConfigRoundResult,
  ConfigSyncError,
  ConfigSyncStore,
} from './config-client-types.js';
export { ConfigRequestError } from './config-client-types.js';

/** The cloud's code for a `since` above the house's bundle version (the cloud was reset). */
const SINCE_AHEAD = ConfigRefusalCode.SinceAhead;

type Answer = SignedAnswer;

export class ConfigClient {
  readonly #o: Required<Omit<ConfigClientOptions, 'onBackoff' | 'onClockOffset' | 'fetch'>> &
    Pick<ConfigClientOptions, 'onBackoff' | 'onClockOffset'> & { fetch: Transport };
  readonly #http: SignedRequester;
  #lastPullAt: string | null = null;
  #lastPushAt: string | null = null;
  #lastSuccessAt: string | null = null;
  #lastError: ConfigSyncError | null = null;
  #failures = 0;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #stop = new AbortController();
  #wake: (() => void) | undefined;
  #kicked = false;
  #round: Promise<ConfigRoundResult> | undefined;

  constructor(opts: ConfigClientOptions) {
    this.#o = {
      now: Date.now,
      maxEdits: MAX_EDITS,
      backoffBaseMs: 1000,
      backoffCapMs: 5 * 60_000,
      idleMs: 30_000,
      requestTimeoutMs: 30_000,
      random: Math.random,
      ...opts,
      fetch: opts.fetch ?? httpTransport,
      cloudUrl: opts.cloudUrl.replace(/\/+$/, ''),
    };
    this.#http = new SignedRequester({
      cloudUrl: this.#o.cloudUrl,
      house: this.#o.house,
      secret: this.#o.secret,
      now: this.#o.now,
      fetch: this.#o.fetch,
      requestTimeoutMs: this.#o.requestTimeoutMs,
      ...(opts.onClockOffset ? { onClockOffset: opts.onClockOffset } : {}),
    });
  }

  get clockOffsetMs(): number | null {
    return this.#http.offsetMs;
  }

  /** One round (uplink, then downlink); rounds never overlap. Throws the round's failure. */
  syncOnce(): Promise<ConfigRoundResult> {
    const prev = this.#round ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.#syncRound());
    this.#round = run;
    return run;
  }

  async #syncRound(): Promise<ConfigRoundResult> {
    const r: ConfigRoundResult = {
      editsSent: 0,
      applied: 0,
      conflicts: 0,
      rejected: 0,
      pulled: 0,
      repulled: false,
      requests: 0,
    };
    try {
      await this.#pushEdits(r);
      if (!this.#stopping) await this.#pull(r);
      this.#lastSuccessAt = this.#iso();
      this.#failures = 0;
      return r;
    } catch (err) {
      this.#failures++;
      this.#lastError = toError(err, this.#iso());
      throw err;
    }
  }

  async #pushEdits(r: ConfigRoundResult): Promise<void> {
    const max = Math.max(1, Math.min(this.#o.maxEdits, MAX_EDITS));
    // Each answer settles what it answers, so the next call returns the rest; a store that keeps
    // returning edits it was answered for cannot hold the round forever.
    for (let guard = 0; guard < 10_000 && !this.#stopping; guard++) {
      const edits = await this.#o.store.pendingEdits(max);
      if (edits.length === 0) return;
      let n = edits.length;
      let body = editsBody(edits, n);
      while (n > 1 && Buffer.byteLength(body) > MAX_EDITS_BYTES) {
        n = Math.ceil(n / 2);
        body = editsBody(edits, n);
      }
      const sent = edits.slice(0, n);
      const answer = await this.#request('POST', CONFIG_EDITS_PATH, body);
      r.requests++;
      if (answer.status !== 200) throw refusal(answer);
      const a = answer.json as unknown as ConfigEditsAnswer;
      if (!Array.isArray(a.results) || typeof a.version !== 'number' || a.results.length !== sent.length) {
        throw new ConfigRequestError('bad-answer', 'the cloud answered edits without one result each', 200);
      }
      await this.#o.store.settle(sent, a);
      this.#lastPushAt = this.#iso();
      r.editsSent += sent.length;
      for (const x of a.results) {
        if (x.outcome === 'applied') r.applied++;
        else if (x.outcome === 'conflict') r.conflicts++;
        else r.rejected++;
      }
      if (edits.length < max && n === edits.length) return;
    }
  }

  async #pull(r: ConfigRoundResult): Promise<void> {
    let since = this.#o.store.version();
    for (;;) {
      const answer = await this.#request('GET', `${CONFIG_PATH}?since=${since}`, '');
      r.requests++;
      if (answer.status === 304) {
        this.#lastPullAt = this.#iso();
        return;
      }
      if (answer.status !== 200) {
        const err = refusal(answer);
        if (err.code === SINCE_AHEAD && since > 0) {
          since = 0;
          r.repulled = true;
          continue;
        }
        throw err;
      }
      const b = answer.json as unknown as ConfigBundle;
      if (!Number.isSafeInteger(b.version) || b.version < 0 || !Array.isArray(b.entities)) {
        throw new ConfigRequestError(
          'bad-answer',
          'the cloud answered a bundle without version and entities',
          200,
        );
      }
      await this.#o.store.apply({ ...b, since });
      this.#lastPullAt = this.#iso();
      r.pulled = b.entities.length;
      return;
    }
  }

  async #request(method: 'GET' | 'POST', pathAndQuery: string, body: string): Promise<Answer> {
    try {
      return await this.#http.request(method, pathAndQuery, body, this.#stop.signal);
    } catch (err) {
      if (err instanceof NoAnswerError) throw new ConfigRequestError('network', err.message);
      throw err;
    }
  }

  status(): ConfigClientStatus {
    const c = this.#o.store.counts();
    return {
      version: this.#o.store.version(),
      lastPullAt: this.#lastPullAt,
      lastPushAt: this.#lastPushAt,
      lastSuccessAt: this.#lastSuccessAt,
      lastError: this.#lastError,
      pendingEdits: c.pendingEdits,
      openConflicts: c.openConflicts,
      clockOffsetMs: this.#http.offsetMs,
      running: this.#loop !== undefined,
      consecutiveFailures: this.#failures,
    };
  }

  /** The wait after `failures` failed rounds: full jitter under an exponential, capped ceiling. */
  backoffDelay(failures: number): { delayMs: number; ceilingMs: number } {
    const { backoffBaseMs: base, backoffCapMs: cap } = this.#o;
    const ceilingMs = Math.min(cap, base * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
    // Full jitter, floored at half the base so a run of small draws is never a tight loop.
    const floor = Math.min(base / 2, ceilingMs);
    return { delayMs: floor + this.#o.random() * (ceilingMs - floor), ceilingMs };
  }

  /** Starts the loop: rounds until stopped, idle between good rounds, backoff after failures. */
  start(): void {
    if (this.#loop !== undefined) return;
    this.#stopping = false;
    this.#stop = new AbortController();
    this.#loop = (async () => {
      while (!this.#stopping) {
        this.#kicked = false;
        let wait: number;
        let ok = false;
        try {
          await this.syncOnce();
          wait = this.#o.idleMs;
          ok = true;
        } catch {
          if (this.#stopping) break;
          const { delayMs, ceilingMs } = this.backoffDelay(this.#failures);
          this.#o.onBackoff?.(delayMs, this.#failures, ceilingMs);
          wait = delayMs;
        }
        if (this.#stopping) break;
        // A kick during a good round (an edit made while it ran) starts the next one at once;
        // after a failure the backoff holds (a kick while waiting still ends it).
        if (ok && this.#kicked) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, wait);
          function done() {
            clearTimeout(timer);
            resolve();
          }
          this.#wake = done;
        });
        this.#wake = undefined;
      }
    })();
  }

  /** Ends an idle wait or a backoff at once (a local edit is waiting to go up). */
  kick(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  /**
   * Stops the loop. By default waits for the request in flight; `{abort: true}` aborts it. Edits
   * are settled only by an answer, so an aborted one is sent again (the cloud answers it by id).
   */
  async stop(opts: { abort?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    if (opts.abort) this.#stop.abort(new Error('config client stopped'));
    this.#wake?.();
    await this.#loop;
    await this.#round?.catch(() => undefined);
    this.#loop = undefined;
  }

  #iso(): string {
    return new Date(this.#o.now()).toISOString();
  }
}

function editsBody(edits: readonly ConfigEdit[], n: number): string {
  return JSON.stringify({ edits: edits.slice(0, n) });
}

function refusal(a: Answer): ConfigRequestError {
  const code = typeof a.json.code === 'string' ? a.json.code : `http-${a.status}`;
  const reason = typeof a.json.reason === 'string' ? a.json.reason : `status ${a.status}`;
  return new ConfigRequestError(code, `${a.status} ${code}: ${reason}`, a.status);
}

function toError(err: unknown, at: string): ConfigSyncError {
  if (err instanceof ConfigRequestError) {
    return {
      code: err.code,
      ...(err.status !== undefined ? { status: err.status } : {}),
      message: err.message,
      at,
    };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err), at };
}
