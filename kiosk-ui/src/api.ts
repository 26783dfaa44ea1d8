import type { ApiError } from '../../edge/api/types';

/** A non-2xx answer (or no answer: `statusCode` 0, code `NETWORK`) mapped to the API's error body. */
export class HttpError extends Error {
  readonly status: number;
  readonly body: ApiError;

  constructor(body: ApiError) {
    super(body.message);
    this.name = 'HttpError';
    this.status = body.statusCode;
    this.body = body;
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && 'statusCode' in value && 'message' in value;
}

function errorBody(res: Response, text: string): ApiError {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isApiError(parsed)) return { ...parsed, statusCode: res.status };
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): described below from the status line.
  }
  return {
    statusCode: res.status,
    code: `HTTP_${res.status}`,
    error: res.statusText,
    message: text.slice(0, 200) || res.statusText || `HTTP ${res.status}`,
  };
}

export interface ApiOptions {
  /** Give up after this long: the call then fails like a lost connection (status 0). */
  timeoutMs?: number;
  /** Extra request headers (an `Idempotency-Key`). */
  headers?: Record<string, string>;
}

/**
 * Calls the edge's API on the same origin; the session cookie rides along. A body is sent as
 * JSON; without one no Content-Type is set (fastify refuses an empty JSON body).
 */
export async function api<T>(
  method: Method,
  path: string,
  body?: unknown,
  options: ApiOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { ...options.headers, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    throw new HttpError({
      statusCode: 0,
      code: 'NETWORK',
      error: 'Network Error',
      message: err instanceof Error ? err.message : String(err),
    });
  }
  const text = await res.text();
  if (!res.ok) throw new HttpError(errorBody(res, text));
  return (text ? JSON.parse(text) : undefined) as T;
}

export function statusOf(err: unknown): number | undefined {
  return err instanceof HttpError ? err.status : undefined;
}
