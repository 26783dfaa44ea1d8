/** Summary of recent latencies, in milliseconds. */
export interface LatencySummary {
  /** Samples ever recorded. */
  count: number;
  /** Over the recent window. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Keeps the last `size` latency samples and summarizes them on demand. */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;

  constructor(size = 4096) {
    this.#samples = new Float64Array(size);
  }

  record(ms: number): void {
    this.#samples[this.#count % this.#samples.length] = ms;
    this.#count++;
  }

  summary(): LatencySummary {
    const n = Math.min(this.#count, this.#samples.length);
    const sorted = this.#samples.slice(0, n).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      count: this.#count,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: n === 0 ? 0 : (sorted[n - 1] as number),
      meanMs: n === 0 ? 0 : sum / n,
    };
  }
}

/** The `q` quantile (0–1) of ascending `sorted` values, nearest rank; 0 when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
