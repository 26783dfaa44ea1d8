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
  SERVER_TIME_HEADER,
} from '../protocol/config.js';
import { clockOffsetFromAnswer, signRequest } from '../protocol/signing.js';

/** The cloud's code for a `since` above the house's bundle version (the cloud was reset). */
const SINCE_AHEAD = ConfigRefusalCode.SinceAhead;

/** What the edge keeps: the bundle version, the pending edits, their outcomes. */
export interface ConfigSyncStore {
  /** The bundle version the edge holds (0: none yet): the next pull's `since`. */
  version(): number;
  /**
   * Up to `max` pending edits with their data as it stands now, in the order to send. The store
   * notes (durably, before it resolves) that they may have reached the cloud: a later local edit
   * of the same entity then waits for their outcome instead of replacing them.
   */
  pendingEdits(max: number): Promise<ConfigEdit[]>;
  /** The cloud's answer to edits sent: each one applied, in conflict or rejected. */
  settle(sent: readonly ConfigEdit[], answer: ConfigEditsAnswer): Promise<void>;
  /** Applies a bundle in one write, its version included. `bundle.since === 0`: the whole config. */
  apply(bundle: ConfigBundle): Promise<void>;
  /** Edits waiting for an outcome, and conflicts not yet dismissed. */
  counts(): { pendingEdits: number; openConflicts: number };
}

export interface ConfigClientOptions {
  cloudUrl: string;
  house: string;
  /** The house secret as issued (used as UTF-8 text). */
  secret: string;
  store: ConfigSyncStore;
  /** The edge's wall clock, ms. */
  now?: () => number;
  /** ≤ MAX_EDITS by protocol. */
  maxEdits?: number;
  /** Backoff after a failed round: first ceiling, cap (ms). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Pause between good rounds (ms); {@link ConfigClient.kick} cuts it short. */
  idleMs?: number;
  /** A request taking longer is aborted (ms). */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
  /** Told each backoff the loop chooses (metrics, tests). */
  onBackoff?: (delayMs: number, failures: number, ceilingMs: number) => void;
  /** Told the clock offset whenever an answer teaches one (the records sync may share it). */
  onClockOffset?: (offsetMs: number) => void;
}

export interface ConfigSyncError {
  /** A cloud code (`auth-clock-skew`, `config-invalid`…), `http-<status>`, `network` or `bad-answer`. */
  code: string;
  status?: number;
  message: string;
  at: string;
}

export interface ConfigClientStatus {
  version: number;
  /** Last time a pull was answered (200 or 304). */
  lastPullAt: string | null;
  /** Last time edits were answered. */
  lastPushAt: string | null;
  lastSuccessAt: string | null;
  lastError: ConfigSyncError | null;
  pendingEdits: number;
  openConflicts: number;
  clockOffsetMs: number | null;
  running: boolean;
  consecutiveFailures: number;
}

export interface ConfigRoundResult {
  editsSent: number;
  applied: number;
  conflicts: number;
  rejected: number;
  /** Entities in the bundle pulled (0 on 304). */
  pulled: number;
  /** Whether the bundle was pulled from 0 after `config-since-ahead`. */
  repulled: boolean;
  requests: number;
}

/** An answer other than the expected one, or no answer. */
export class ConfigRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ConfigRequestError';
  }
}

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

export class ConfigClient {
  readonly #o: Required<Omit<ConfigClientOptions, 'onBackoff' | 'onClockOffset' | 'fetch'>> &
    Pick<ConfigClientOptions, 'onBackoff' | 'onClockOffset'> & { fetch: typeof fetch };
  #offsetMs: number | null = null;
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
      fetch: opts.fetch ?? fetch,
      cloudUrl: opts.cloudUrl.replace(/\/+$/, ''),
    };
  }

  get clockOffsetMs(): number | null {
    return this.#offsetMs;
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

  /** A signed request; 401 clock skew is retried at once, once, with the offset just learned. */
  async #request(method: 'GET' | 'POST', pathAndQuery: string, body: string): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.#requestOnce(method, pathAndQuery, body);
      if (attempt === 0 && answer.status === 401 && answer.json.code === 'auth-clock-skew') continue;
      return answer;
    }
  }

  async #requestOnce(method: 'GET' | 'POST', pathAndQuery: string, body: string): Promise<Answer> {
    const sentAt = this.#o.now();
    const authorization = signRequest({
      house: this.#o.house,
      secret: this.#o.secret,
      method,
      pathAndQuery,
      body,
      now: sentAt,
      offsetMs: this.#offsetMs ?? 0,
    });
    let res: Response;
    let text: string;
    try {
      res = await this.#o.fetch(`${this.#o.cloudUrl}${pathAndQuery}`, {
        method,
        headers: {
          authorization,
          accept: 'application/json',
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body } : {}),
        signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#o.requestTimeoutMs)]),
      });
      text = await res.text();
    } catch (err) {
      throw new ConfigRequestError('network', (err as Error).message || String(err));
    }
    const receivedAt = this.#o.now();
    let json: Record<string, unknown> = {};
    try {
      if (text) json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON (a proxy's page): judged by its status below.
    }
    if (json === null || typeof json !== 'object') json = {};
    // A 304 has no body: the cloud puts its time in a header too.
    const serverTime = json.serverTime ?? res.headers.get(SERVER_TIME_HEADER) ?? undefined;
    const offset = clockOffsetFromAnswer({ serverTime, sentAt, receivedAt });
    if (offset !== undefined) {
      this.#offsetMs = offset;
      this.#o.onClockOffset?.(offset);
    }
    return { status: res.status, json };
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
      clockOffsetMs: this.#offsetMs,
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
