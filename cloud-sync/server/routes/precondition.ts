/**
 * The precondition of a change through the admin API: the version it was made on, from
 * `If-Match: "<n>"` (weak or bare accepted), `If-None-Match: *` (0: create only) or a `base`;
 * when given twice, they must agree.
 */
import type { FastifyRequest } from 'fastify';

/** Reasons of the refusals `config-missing` (428) and `config-precondition-invalid` (400). */
export const PRECONDITION_REASONS = {
  missing: 'send If-Match: "<version>" (or base; If-None-Match: * to create)',
  'precondition-invalid': 'If-Match is one version, "<n>", and agrees with base',
} as const;

export function precondition(
  req: FastifyRequest,
  base: number | undefined,
): number | 'missing' | 'precondition-invalid' {
  const m = req.headers['if-match'];
  const nm = req.headers['if-none-match'];
  let header: number | undefined;
  if (typeof m === 'string') {
    const x = /^\s*(?:W\/)?"?(0|[1-9][0-9]{0,15})"?\s*$/.exec(m);
    if (!x) return 'precondition-invalid';
    header = Number(x[1]);
  } else if (typeof nm === 'string') {
    if (nm.trim() !== '*') return 'precondition-invalid';
    header = 0;
  }
  if (header !== undefined && base !== undefined && header !== base) return 'precondition-invalid';
  const v = header ?? base;
  return v === undefined ? 'missing' : v;
}
