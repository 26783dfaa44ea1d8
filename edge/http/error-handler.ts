import type { FastifyError, FastifyInstance } from 'fastify';
import { type ERROR_CODES, LinliError } from '../errors.js';

/**
 * Maps errors to HTTP once, at the boundary: coded LinliErrors to their status, schema
 * failures to 400, rate limits to 429, anything else to 500 without internals.
 * Body: `{statusCode, code, error, message}` (edge/api/types.ts ApiError).
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | LinliError, req, reply) => {
    if (err instanceof LinliError) {
      return reply.status(err.statusCode).send(body(err.statusCode, err.code, err.message));
    }
    const fe = err as FastifyError;
    if (fe.validation) return reply.status(400).send(body(400, 'BAD_REQUEST', fe.message));
    if (fe.statusCode === 429)
      return reply.status(429).send(body(429, 'RATE_LIMITED', 'too many attempts, wait a minute'));
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send(body(fe.statusCode, 'BAD_REQUEST', fe.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send(body(500, 'INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(body(404, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function body(statusCode: number, code: keyof typeof ERROR_CODES, message: string) {
  return { statusCode, code, error: REASONS[statusCode] ?? 'Error', message };
}
