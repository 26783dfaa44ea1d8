/**
 * A seeded random source for fuzz and property tests, so a failure reproduces: mulberry32 (a
 * small, fast PRNG), and the helpers every fuzz test wants. Tests take the seed from `FUZZ_SEED`
 * when set and print it in their names.
 */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { random, int, pick };
}
