/**
 * Money on screen: integer fen in, `¥x.yy` out, and a typed yuan string parsed to integer fen
 * without ever going through a float (0.1 + 0.2 must not decide what a resident pays).
 */

/** The API's bounds of `amountFen`. */
export const MIN_FEN = 1;
export const MAX_FEN = 10_000_000;

/** `¥x.yy` from integer fen; a negative amount keeps its sign before the ¥. */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(fen));
  const yuan = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}¥${yuan.toLocaleString('en-US')}.${cents}`;
}

/**
 * Fen from a yuan string as typed: digits, at most one point, at most two decimals
 * (`12`, `12.5`, `12.50`, `0.01`, `.5`). Anything else, or an amount outside the API's bounds,
 * is null.
 */
export function parseYuanToFen(text: string): number | null {
  const m = /^(\d{0,6})(?:\.(\d{0,2}))?$/.exec(text.trim());
  if (!m) return null;
  const whole = m[1] ?? '';
  const frac = m[2] ?? '';
  if (whole === '' && frac === '') return null;
  const fen = Number(whole || '0') * 100 + Number(frac.padEnd(2, '0'));
  return Number.isSafeInteger(fen) && fen >= MIN_FEN && fen <= MAX_FEN ? fen : null;
}

/** The yuan string of integer fen, for pre-filling an input (`1234` → `12.34`). */
export function fenToYuanText(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}
