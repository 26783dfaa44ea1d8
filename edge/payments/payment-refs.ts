/**
 * Payment refs: 12 characters `[0-9A-Z]`, the ECR link's `<ref>` and the terminal's idempotency
 * key, unique per house (checked against the refs already used).
 */
import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const REF_PATTERN = /^[0-9A-Z]{12}$/;

/** A new random ref not in `used` (36^12 ≈ 4.7e18: a clash is all but impossible, but checked). */
export function newRef(used: (ref: string) => boolean, random = randomInt): string {
  for (;;) {
    let ref = '';
    for (let i = 0; i < 12; i++) ref += ALPHABET[random(ALPHABET.length)];
    if (!used(ref) && ref !== '000000000000') return ref; // that one probes a silent terminal
  }
}
