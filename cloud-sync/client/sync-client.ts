/**
 * The edge's sync client (DESIGN.md, "Records and sync", protocol version 1; issue 5 part 2). It
 * knows nothing of the edge: records come through a {@link SyncSource} the edge implements over its
 * journal, and cursors and dead letters live in a {@link SyncStateStore}.
 *
 * One round ({@link SyncClient.syncOnce}): streams in STREAM_PRIORITY order (alarms, payments, the
 * rest); each stream is read from its cursor in batches of at most 1,000 records and 1 MiB (the
 * exact JSON the request carries), signed with the clock offset learned from the last answer's
 * `serverTime`, and posted; the next batch is read from the journal while one is in flight. Each
 * record goes as the source holds it (its JSON bytes copied into the body, never parsed or
 * re-encoded: batch-body.ts), so a long drain makes almost no garbage. On 200
 * the cursor moves to the cloud's `contiguous` for that stream, never past what was sent (lower:
 * resend from there), and is saved before the next batch is sent. Rejected records go to the
 * dead-letter list and do not block the stream (the cloud holds their seq).
 *
 * Failures: 401 clock skew → learn the offset and retry at once, once; 413 → halve the batch and
 * retry; anything else ends the round with `lastError`, and the loop ({@link SyncClient.start})
 * waits an exponential, fully jittered, capped backoff before the next round.
 */
import { STREAM_PRIORITY, type Stream } from '../protocol/record.js';
import { type EdgeSyncReport, SYNC_STATUS_PATH } from '../protocol/status.js';
import { MAX_BATCH_BYTES, MAX_BATCH_RECORDS } from '../protocol/validate.js';
import { BatchBody } from './batch-body.js';
import { httpTransport, type Transport } from './http-transport.js';
import { NoAnswerError, type SignedAnswer, SignedRequester } from './signed-requester.js';
import { type DeadLetter, emptyState, type SyncState, type SyncStateStore } from './state-store.js';
import { firstRecordMs, parseSourceRecord, type SourceRecord, type SyncSource } from './sync-source.js';

export const SYNC_RECORDS_PATH = '/api/v1/sync/records';

export interface SyncClientOptions {
  cloudUrl: string;
  house: string;
  /** The house secret as issued (64 hex characters, used as UTF-8 text). */
  secret: string;
  source: SyncSource;
  store: SyncStateStore;
  /** The edge's wall clock, ms. */
  now?: () => number;
  /** Streams in the order they are synced. */
  streams?: readonly Stream[];
  /** ≤ 1,000 by protocol. */
  maxBatchRecords?: number;
  /** ≤ 1 MiB by protocol (a larger value is for tests of the 413 path). */
  maxBatchBytes?: number;
  /** Backoff: first ceiling, cap (ms). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Pause between rounds when all is synced (ms); {@link SyncClient.kick} cuts it short. */
  idleMs?: number;
  /** A request taking longer is aborted (ms). */
  requestTimeoutMs?: number;
  /** How requests go out; node:http by default (http-transport.ts). */
  fetch?: Transport;
  /** Told each backoff chosen by the loop (metrics, tests). */
  onBackoff?: (delayMs: number, failures: number, ceilingMs: number) => void;
  /** Told the clock offset learned from each answer's `serverTime` (the edge's clock follows it). */
  onClockOffset?: (offsetMs: number) => void;
  /** Told each batch the cloud took (metrics). */
  onBatch?: (stream: Stream, sent: number, stored: number, duplicates: number, rejected: number) => void;
  /**
   * The edge's part of its sync report (protocol/status.ts); when given, the report is posted after
   * a round that sent records and otherwise at most every `reportEveryMs`.
   */
  report?: () => Pick<EdgeSyncReport, 'version' | 'configVersion' | 'diskFreeBytes'>;
  reportEveryMs?: number;
  random?: () => number;
}

export interface SyncError {
  /** A cloud code (`auth-clock-skew`, `batch-too-large`…), `http-<status>`, or `network`. */
  code: string;
  status?: number;
  message: string;
  at: string;
}

export interface StreamStatus {
  lastSeq: number;
  cursor: number;
  backlog: number;
  /** Age (ms, edge clock) of the oldest record not yet held by the cloud; null when none. */
  oldestUnsyncedAgeMs: number | null;
}

export interface SyncStatus {
  streams: Record<string, StreamStatus>;
  backlog: number;
  lastSuccessAt: string | null;
  lastError: SyncError | null;
  deadLetters: number;
  /** What the edge adds to its clock to get the cloud's; null before any answer. */
  clockOffsetMs: number | null;
  running: boolean;
  consecutiveFailures: number;
}

export interface RoundResult {
  sent: number;
  stored: number;
  duplicates: number;
  rejected: number;
  requests: number;
}

/** An answer other than 200, or no answer. */
export class SyncRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SyncRequestError';
  }
}

interface Answer {
  serverTime: string;
  streams: Record<string, { contiguous: number }>;
  stored: number;
  duplicates: number;
  rejected: {
    id: string | null;
    stream: string | null;
    seq: number | null;
    reason: string;
    message?: string;
  }[];
}

export class SyncClient {
  readonly #o: Required<
    Omit<SyncClientOptions, 'onBackoff' | 'onClockOffset' | 'onBatch' | 'report' | 'fetch'>
  > &
    Pick<SyncClientOptions, 'onBackoff' | 'onClockOffset' | 'onBatch' | 'report'> & { fetch: Transport };
  #state: SyncState | undefined;
  readonly #requester: SignedRequester;
  #batchLimit: number;
  #lastSuccessAt: string | null = null;
  #lastError: SyncError | null = null;
  #failures = 0;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #stop = new AbortController();
  #wake: (() => void) | undefined;
  /** A kick that came while no wait was running: the next wait is skipped. */
  #kicked = false;
  #round: Promise<RoundResult> | undefined;
  #lastReportAt = Number.NEGATIVE_INFINITY;
  /** Two request bodies, reused: one in flight while the next is read into the other. */
  #bodies: [BatchBody, BatchBody] | undefined;
  /** Per stream, the time of the first record after the cursor it was read at (for status). */
  readonly #oldest = new Map<Stream, { cursor: number; ms: number | null }>();

  constructor(opts: SyncClientOptions) {
    this.#o = {
      now: Date.now,
      streams: STREAM_PRIORITY,
      maxBatchRecords: MAX_BATCH_RECORDS,
      maxBatchBytes: MAX_BATCH_BYTES,
      backoffBaseMs: 1000,
      backoffCapMs: 5 * 60_000,
      idleMs: 5000,
      requestTimeoutMs: 30_000,
      reportEveryMs: 60_000,
      random: Math.random,
      ...opts,
      fetch: opts.fetch ?? httpTransport,
      cloudUrl: opts.cloudUrl.replace(/\/+$/, ''),
    };
    this.#batchLimit = Math.min(this.#o.maxBatchRecords, MAX_BATCH_RECORDS);
    this.#requester = new SignedRequester({
      ...this.#o,
      ...(opts.onClockOffset ? { onClockOffset: opts.onClockOffset } : {}),
    });
  }

  /** The clock offset learned from the cloud (null before any answer). */
  get clockOffsetMs(): number | null {
    return this.#requester.offsetMs;
  }

  async #loadState(): Promise<SyncState> {
    if (!this.#state) this.#state = (await this.#o.store.load()) ?? emptyState();
    return this.#state;
  }

  async cursors(): Promise<Record<string, number>> {
    return { ...(await this.#loadState()).cursors };
  }

  async deadLetters(): Promise<DeadLetter[]> {
    return (await this.#loadState()).deadLetters.map((d) => ({ ...d }));
  }

  /** One round over every stream; rounds never overlap. Throws the round's failure. */
  syncOnce(): Promise<RoundResult> {
    const prev = this.#round ?? Promise.resolve();
    const run = prev.catch(() => {}).then(() => this.#syncRound());
    this.#round = run;
    return run;
  }

  async #syncRound(): Promise<RoundResult> {
    const result: RoundResult = { sent: 0, stored: 0, duplicates: 0, rejected: 0, requests: 0 };
    // A limit halved by 413s holds for the rest of the round; each round starts at the full size.
    this.#batchLimit = Math.min(this.#o.maxBatchRecords, MAX_BATCH_RECORDS);
    try {
      await this.#loadState();
      // Streams in priority order; a stream yields after a batch when a higher one has new
      // records (an alarm never waits behind a backlog of scans), and the round starts over.
      for (let i = 0; i < this.#o.streams.length && !this.#stopping; ) {
        const stream = this.#o.streams[i] as Stream;
        const yielded = await this.#syncStream(stream, result, this.#o.streams.slice(0, i));
        i = yielded ? 0 : i + 1;
      }
      this.#lastSuccessAt = new Date(this.#o.now()).toISOString();
      this.#failures = 0;
      if (
        this.#o.report &&
        (result.sent > 0 || this.#o.now() - this.#lastReportAt >= this.#o.reportEveryMs)
      ) {
        await this.#postReport();
      }
      return result;
    } catch (err) {
      this.#failures++;
      this.#lastError = toSyncError(err, this.#o.now());
      throw err;
    }
  }

  /** Whether any of `streams` has records the cloud does not hold yet. */
  #pending(streams: readonly Stream[]): boolean {
    const state = this.#state as SyncState;
    return streams.some((s) => (state.cursors[s] ?? 0) < this.#o.source.lastSeq(s));
  }

  /** Sends the stream from its cursor; true when it stopped early for a higher-priority stream. */
  async #syncStream(stream: Stream, result: RoundResult, higher: readonly Stream[]): Promise<boolean> {
    const state = this.#state as SyncState;
    let cursor = state.cursors[stream] ?? 0;
    if (cursor >= this.#o.source.lastSeq(stream)) return false;
    this.#bodies ??= [new BatchBody(this.#o.maxBatchBytes), new BatchBody(this.#o.maxBatchBytes)];
    const [first, second] = this.#bodies;
    let it = this.#o.source.read(stream, cursor)[Symbol.asyncIterator]();
    /** A record read that did not fit its batch: the next one starts with it (a copy). */
    let carry: SourceRecord | undefined;
    let exhausted = false;
    let stalled = 0;
    /** Reads the next batch into `body`: the carried record first, then the source. */
    const build = async (body: BatchBody): Promise<BatchBody> => {
      body.reset();
      while (body.count < this.#batchLimit) {
        let next = carry;
        carry = undefined;
        if (!next && !exhausted) {
          const r = await it.next();
          if (r.done) exhausted = true;
          else next = r.value;
        }
        if (!next) break;
        if (!body.add(next.seq, next.json)) {
          carry = { seq: next.seq, json: Buffer.from(next.json) };
          break;
        }
      }
      return body;
    };
    /** After a failure or a gap: read again from the cursor (what was read ahead is dropped). */
    const restart = async () => {
      await ahead?.catch(() => {});
      ahead = undefined;
      await it.return?.();
      it = this.#o.source.read(stream, cursor)[Symbol.asyncIterator]();
      carry = undefined;
      exhausted = false;
    };
    // Read-ahead: the next batch is read from the journal, into the other body, while the current
    // one is in flight. When the answer does not let it go next (a failure, a gap), it is dropped.
    let ahead: Promise<BatchBody> | undefined;
    try {
      while (!this.#stopping) {
        const batch = ahead === undefined ? await build(first) : await ahead;
        ahead = undefined;
        if (batch.count === 0) break;

        ahead = build(batch === first ? second : first);
        ahead.catch(() => {}); // awaited next turn; a read failure surfaces there
        let answer: Answer;
        try {
          answer = await this.#post(batch.bytes());
        } catch (err) {
          const sent = batch.count;
          await restart();
          if (err instanceof SyncRequestError && err.status === 413 && sent > 1) {
            this.#batchLimit = Math.max(1, Math.floor(sent / 2));
            continue;
          }
          throw err;
        }
        result.requests++;
        result.sent += batch.count;
        result.stored += answer.stored;
        result.duplicates += answer.duplicates;
        result.rejected += answer.rejected.length;
        this.#o.onBatch?.(stream, batch.count, answer.stored, answer.duplicates, answer.rejected.length);
        const at = answer.serverTime;
        for (const r of answer.rejected) this.#deadLetter(r, at);

        const lastSent = batch.lastSeq;
        const contiguous = answer.streams[stream]?.contiguous;
        const next = typeof contiguous === 'number' ? Math.min(contiguous, lastSent) : cursor;
        const moved = next > cursor;
        const before = cursor;
        cursor = next;
        state.cursors[stream] = cursor;
        await this.#o.store.save(state);
        if (next < lastSent) {
          // The cloud misses something below what was sent (a gap): resend from its contiguous.
          stalled = moved ? 0 : stalled + 1;
          if (stalled >= 2) {
            throw new SyncRequestError(
              'stream-stalled',
              `${stream}: the cloud stays at seq ${cursor} (was ${before}) after resending`,
            );
          }
          await restart();
        } else {
          stalled = 0;
        }
        if (this.#pending(higher)) return true;
      }
    } finally {
      await ahead?.catch(() => {});
      await it.return?.();
    }
    return false;
  }

  #deadLetter(r: Answer['rejected'][number], at: string): void {
    if (r.id === null || r.stream === null || r.seq === null) return;
    const state = this.#state as SyncState;
    const found = state.deadLetters.find((d) => d.id === r.id);
    if (found) {
      found.reason = r.reason;
      found.message = r.message ?? r.reason;
      found.lastSeen = at;
      found.attempts++;
    } else {
      state.deadLetters.push({
        id: r.id,
        stream: r.stream,
        seq: r.seq,
        reason: r.reason,
        message: r.message ?? r.reason,
        firstSeen: at,
        lastSeen: at,
        attempts: 1,
      });
    }
  }

  /**
   * Re-sends dead letters (all, or those with the given ids) with their same id and seq; the ones
   * the cloud now accepts leave the list. Returns how many were accepted and how many remain.
   */
  async retryDeadLetters(ids?: readonly string[]): Promise<{ accepted: number; remaining: number }> {
    const state = await this.#loadState();
    const chosen = state.deadLetters.filter((d) => !ids || ids.includes(d.id));
    // The records go as stored, in bodies built like a round's (the same count and byte limits).
    const body = new BatchBody(this.#o.maxBatchBytes);
    let sentIds = new Set<string>();
    let accepted = 0;
    const flush = async () => {
      if (body.count === 0) return;
      const answer = await this.#post(body.bytes());
      const again = new Set<string>();
      for (const r of answer.rejected) {
        if (r.id) again.add(r.id);
        this.#deadLetter(r, answer.serverTime);
      }
      const before = state.deadLetters.length;
      state.deadLetters = state.deadLetters.filter((d) => !sentIds.has(d.id) || again.has(d.id));
      accepted += before - state.deadLetters.length;
      await this.#o.store.save(state);
      body.reset();
      sentIds = new Set();
    };
    for (const d of chosen) {
      for await (const r of this.#o.source.read(d.stream as Stream, d.seq - 1)) {
        if (r.seq === d.seq && parseSourceRecord(r).id === d.id) {
          if (body.count >= MAX_BATCH_RECORDS || !body.add(r.seq, r.json)) {
            await flush();
            body.add(r.seq, r.json);
          }
          sentIds.add(d.id);
        }
        break;
      }
    }
    await flush();
    return { accepted, remaining: state.deadLetters.length };
  }

  /**
   * POSTs one signed body through the {@link SignedRequester} the config client uses too (clock
   * offset learned from every answer, 401 clock skew retried once); anything but 200 is a
   * {@link SyncRequestError} with the cloud's code.
   */
  async #post(body: string | Buffer, path = SYNC_RECORDS_PATH): Promise<Answer> {
    let answer: SignedAnswer;
    try {
      answer = await this.#requester.request('POST', path, body, this.#stop.signal);
    } catch (err) {
      if (err instanceof NoAnswerError) throw new SyncRequestError('network', err.message);
      throw err;
    }
    const { status, json } = answer;
    if (status !== 200) {
      const code = typeof json.code === 'string' ? json.code : `http-${status}`;
      const reason = typeof json.reason === 'string' ? json.reason : 'no reason given';
      throw new SyncRequestError(code, `${status} ${code}: ${reason}`, status);
    }
    if (path !== SYNC_RECORDS_PATH) return json as unknown as Answer;
    if (typeof json.streams !== 'object' || json.streams === null || !Array.isArray(json.rejected)) {
      throw new SyncRequestError('bad-answer', 'the cloud answered 200 without streams and rejected', 200);
    }
    return json as unknown as Answer;
  }

  /**
   * Posts the sync report (protocol/status.ts). A cloud without the route (404) or a failed post
   * is not a failed round: the records are what matters, the report comes again next round.
   */
  async #postReport(): Promise<void> {
    const extra = this.#o.report?.();
    if (!extra) return;
    const s = await this.status();
    const report: EdgeSyncReport = {
      ...extra,
      at: new Date(this.#o.now()).toISOString(),
      streams: Object.fromEntries(
        Object.entries(s.streams).map(([k, v]) => [
          k,
          { lastSeq: v.lastSeq, backlog: v.backlog, oldestUnsyncedAgeMs: v.oldestUnsyncedAgeMs },
        ]),
      ),
      backlog: s.backlog,
      deadLetters: s.deadLetters,
      clockOffsetMs: s.clockOffsetMs === null ? null : Math.round(s.clockOffsetMs),
    };
    try {
      await this.#post(JSON.stringify(report), SYNC_STATUS_PATH);
      this.#lastReportAt = this.#o.now();
    } catch {
      // Next round tries again; lastError stays about records.
    }
  }

  /** For `GET /api/sync` and `/metrics`. */
  async status(): Promise<SyncStatus> {
    const state = await this.#loadState();
    const streams: Record<string, StreamStatus> = {};
    let backlog = 0;
    const now = this.#o.now();
    for (const stream of this.#o.streams) {
      const lastSeq = this.#o.source.lastSeq(stream);
      const cursor = state.cursors[stream] ?? 0;
      const b = Math.max(0, lastSeq - cursor);
      let oldest: number | null = null;
      if (b > 0) {
        // The first record after a cursor does not change: read once per cursor, not per call.
        let known = this.#oldest.get(stream);
        if (known?.cursor !== cursor) {
          known = { cursor, ms: await firstRecordMs(this.#o.source, stream, cursor) };
          this.#oldest.set(stream, known);
        }
        if (known.ms !== null) oldest = Math.max(0, now - known.ms);
      }
      streams[stream] = { lastSeq, cursor, backlog: b, oldestUnsyncedAgeMs: oldest };
      backlog += b;
    }
    return {
      streams,
      backlog,
      lastSuccessAt: this.#lastSuccessAt,
      lastError: this.#lastError,
      deadLetters: state.deadLetters.length,
      clockOffsetMs: this.#requester.offsetMs,
      running: this.#loop !== undefined,
      consecutiveFailures: this.#failures,
    };
  }

  /** The backoff after `failures` failed rounds: full jitter under an exponential, capped ceiling. */
  backoffDelay(failures: number): { delayMs: number; ceilingMs: number } {
    const { backoffBaseMs: base, backoffCapMs: cap } = this.#o;
    const ceilingMs = Math.min(cap, base * 2 ** Math.min(failures - 1, 30));
    // Full jitter, with a floor of half the base so a run of small draws is never a tight loop.
    const floor = Math.min(base / 2, ceilingMs);
    return { delayMs: floor + this.#o.random() * (ceilingMs - floor), ceilingMs };
  }

  /** Starts the loop: rounds until stopped, idle between synced rounds, backoff after failures. */
  start(): void {
    if (this.#loop !== undefined) return;
    this.#stopping = false;
    this.#stop = new AbortController();
    this.#loop = (async () => {
      while (!this.#stopping) {
        let wait: number;
        try {
          await this.syncOnce();
          wait = this.#o.idleMs;
        } catch {
          if (this.#stopping) break;
          const { delayMs, ceilingMs } = this.backoffDelay(this.#failures);
          this.#o.onBackoff?.(delayMs, this.#failures, ceilingMs);
          wait = delayMs;
        }
        if (this.#stopping) break;
        if (this.#kicked) {
          this.#kicked = false;
          continue;
        }
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

  /**
   * New records were appended: ends an idle wait at once, or, when a round is running, starts the
   * next one right after it. A backoff after failures is not cut short (no retry storm).
   */
  kick(): void {
    if (this.#failures > 0) return;
    if (this.#wake) this.#wake();
    else this.#kicked = true;
  }

  /** Ends any wait, a backoff included (an operator asked to sync now). */
  syncNow(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  /**
   * Stops the loop. By default waits for the request in flight; `{abort: true}` aborts it (its
   * batch is re-sent next time and the cloud counts it a duplicate). Cursors are saved before each
   * next batch, so none is lost either way.
   */
  async stop(opts: { abort?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    if (opts.abort) this.#stop.abort(new Error('sync client stopped'));
    this.#wake?.();
    await this.#loop;
    await this.#round?.catch(() => {});
    this.#loop = undefined;
  }
}

function toSyncError(err: unknown, now: number): SyncError {
  const at = new Date(now).toISOString();
  if (err instanceof SyncRequestError) {
    return {
      code: err.code,
      ...(err.status !== undefined ? { status: err.status } : {}),
      message: err.message,
      at,
    };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err), at };
}
