/**
 * Signed requests to the cloud's sync API as an edge makes them (protocol/signing.ts): `LINLI-HMAC`
 * with the clock offset learned from every answer (`serverTime` in the body, or the
 * `x-linli-server-time` header a bodiless 304 carries), one immediate retry after a 401
 * `auth-clock-skew`, a timeout per request, and an abort signal for stopping.
 */
import { SERVER_TIME_HEADER } from '../protocol/config.js';
import { clockOffsetFromAnswer, signRequest } from '../protocol/signing.js';
import type { Transport, TransportAnswer } from './http-transport.js';

export interface SignedAnswer {
  status: number;
  /** The answer's JSON object (empty when it had none, or was not JSON). */
  json: Record<string, unknown>;
}

export interface SignedRequesterOptions {
  cloudUrl: string;
  house: string;
  /** The house secret as issued (used as UTF-8 text). */
  secret: string;
  /** The edge's wall clock, ms. */
  now: () => number;
  /** How requests go out ({@link httpTransport} in the edge; tests wrap `fetch`). */
  fetch: Transport;
  /** A request taking longer is aborted (ms). */
  requestTimeoutMs: number;
  /** Told the clock offset whenever an answer teaches one. */
  onClockOffset?: (offsetMs: number) => void;
}

/** No answer at all: the network, a timeout, or an abort. */
export class NoAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoAnswerError';
  }
}

export class SignedRequester {
  #offsetMs: number | null = null;
  readonly #cloudUrl: string;

  constructor(private readonly o: SignedRequesterOptions) {
    this.#cloudUrl = o.cloudUrl.replace(/\/+$/, '');
  }

  /** What the edge adds to its clock to get the cloud's; null before any answer. */
  get offsetMs(): number | null {
    return this.#offsetMs;
  }

  /** A signed request; 401 clock skew is retried at once, once, with the offset just learned. */
  async request(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    body: string | Buffer,
    signal: AbortSignal,
  ): Promise<SignedAnswer> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.#once(method, pathAndQuery, body, signal);
      if (attempt === 0 && answer.status === 401 && answer.json.code === 'auth-clock-skew') continue;
      return answer;
    }
  }

  async #once(method: 'GET' | 'POST', pathAndQuery: string, body: string | Buffer, signal: AbortSignal) {
    const sentAt = this.o.now();
    const authorization = signRequest({
      house: this.o.house,
      secret: this.o.secret,
      method,
      pathAndQuery,
      body,
      now: sentAt,
      offsetMs: this.#offsetMs ?? 0,
    });
    let res: TransportAnswer;
    let text: string;
    // The request's own signal: aborted by the caller's or by the timeout, and let go as soon as
    // the answer is in. (AbortSignal.timeout would keep a signal and its timer alive for the whole
    // timeout after every request, and AbortSignal.any ties each one to the long-lived signal.)
    const ctl = new AbortController();
    const abort = () => ctl.abort(signal.reason);
    const timer = setTimeout(
      () => ctl.abort(new DOMException(`no answer in ${this.o.requestTimeoutMs} ms`, 'TimeoutError')),
      this.o.requestTimeoutMs,
    );
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    try {
      res = await this.o.fetch(`${this.#cloudUrl}${pathAndQuery}`, {
        method,
        headers: {
          authorization,
          accept: 'application/json',
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body } : {}),
        signal: ctl.signal,
      });
      text = await res.text();
    } catch (err) {
      throw new NoAnswerError((err as Error).message || String(err));
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
    }
    const receivedAt = this.o.now();
    let json: Record<string, unknown> = {};
    try {
      const parsed: unknown = text ? JSON.parse(text) : {};
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        json = parsed as Record<string, unknown>;
    } catch {
      // Not JSON (a proxy's page): the caller judges it by its status.
    }
    const serverTime = json.serverTime ?? res.headers.get(SERVER_TIME_HEADER) ?? undefined;
    const offset = clockOffsetFromAnswer({ serverTime, sentAt, receivedAt });
    if (offset !== undefined) {
      this.#offsetMs = offset;
      this.o.onClockOffset?.(offset);
    }
    return { status: res.status, json };
  }
}
