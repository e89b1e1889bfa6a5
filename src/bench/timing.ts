/** How long {@link timeInterleaved} may spend. */
export interface TimingOptions {
  /** Calls per sample are raised until one sample lasts at least this long. */
  readonly minSampleMs: number;
  /** Samples per subject at most; the best is kept. */
  readonly maxSamples: number;
  /** Samples per subject at least, even past the time budget. */
  readonly minSamples: number;
  /** Time per subject after which no new round of samples starts (once `minSamples` are in). */
  readonly budgetMs: number;
}

/** One thing to time: `prepare` (untimed) selects its backend, `call` is the timed work. */
export interface TimingSubject {
  prepare?(): Promise<void> | void;
  call(): void;
}

/** A measurement: the fastest sample, per call. */
export interface Timing {
  readonly msPerCall: number;
  readonly samples: number;
  readonly callsPerSample: number;
}

/** Defaults: about 1-2 s per subject for fast calls; slow calls get `minSamples` samples of one call. */
export const defaultTiming: TimingOptions = { minSampleMs: 100, maxSamples: 7, minSamples: 3, budgetMs: 1500 };

/**
 * Times several subjects the way throughput figures should be compared on a shared machine:
 * warm each up (JIT tiers, wasm compilation, scratch growth), batch calls so a sample
 * outlasts timer resolution, take samples round-robin so that every subject sees the same
 * spells of background load, and keep each subject's fastest sample, since other processes
 * only ever add time.
 *
 * @example
 * ```ts
 * const [t] = await timeInterleaved([{ call: () => gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n) }]);
 * const gflops = (2 * n ** 3) / (t.msPerCall * 1e6);
 * ```
 */
export async function timeInterleaved(subjects: readonly TimingSubject[], options: TimingOptions = defaultTiming): Promise<Timing[]> {
  const reps: number[] = [];
  for (const s of subjects) {
    await s.prepare?.();
    const warmStart = performance.now();
    let calls = 0;
    do {
      s.call();
      calls++;
    } while (calls < 2 || performance.now() - warmStart < options.budgetMs / 10);
    const perCall = (performance.now() - warmStart) / calls;
    reps.push(Math.max(1, Math.ceil(options.minSampleMs / Math.max(perCall, 1e-6))));
  }
  const best = subjects.map(() => Infinity);
  const start = performance.now();
  let rounds = 0;
  while (rounds < options.maxSamples
    && (rounds < options.minSamples || performance.now() - start < options.budgetMs * subjects.length)) {
    for (const [i, s] of subjects.entries()) {
      await s.prepare?.();
      const n = reps[i] ?? 1;
      const t0 = performance.now();
      for (let r = 0; r < n; r++) s.call();
      best[i] = Math.min(best[i] ?? Infinity, (performance.now() - t0) / n);
    }
    rounds++;
  }
  return subjects.map((_, i) => ({ msPerCall: best[i] ?? Infinity, samples: rounds, callsPerSample: reps[i] ?? 1 }));
}
