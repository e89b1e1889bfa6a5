/** How long {@link timeInterleaved} may spend. */
export interface TimingOptions {
  /** Calls per sample are raised until one sample lasts at least this long. */
  readonly minSampleMs: number;
  /** Samples per subject at most; the best is kept. */
  readonly maxSamples: number;
  /** Samples per subject at least, even past the time budget. */
  readonly minSamples: number;
  /** Sampling time per subject after which it takes no more samples (once `minSamples` are in). */
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

/**
 * Defaults: many short samples (about 1 s per subject). On a busy machine a long sample is
 * almost always interrupted, while some 5 ms samples run undisturbed; their minimum is the
 * figure that reproduces. Calls slower than the budget get `minSamples` samples of one call.
 */
export const defaultTiming: TimingOptions = { minSampleMs: 5, maxSamples: 60, minSamples: 3, budgetMs: 1000 };

/**
 * Times several subjects the way throughput figures should be compared on a shared machine:
 * warm each up (JIT tiers, wasm compilation, scratch growth), batch calls so a sample
 * outlasts timer resolution, take samples round-robin so that every subject sees the same
 * spells of background load, and keep each subject's fastest sample, since other processes
 * only ever add time. Each subject samples until it has used its own budget.
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
    } while (performance.now() - warmStart < options.budgetMs / 10);
    const perCall = (performance.now() - warmStart) / calls;
    reps.push(Math.max(1, Math.ceil(options.minSampleMs / Math.max(perCall, 1e-6))));
  }
  const best = subjects.map(() => Infinity);
  const samples = subjects.map(() => 0);
  const spent = subjects.map(() => 0);
  // Each subject has its own budget, so one slow peer does not starve the others of samples.
  const wants = (i: number): boolean => {
    const taken = samples[i] ?? 0;
    return taken < options.maxSamples && (taken < options.minSamples || (spent[i] ?? 0) < options.budgetMs);
  };
  while (subjects.some((_, i) => wants(i))) {
    for (const [i, s] of subjects.entries()) {
      if (!wants(i)) continue;
      await s.prepare?.();
      const n = reps[i] ?? 1;
      const t0 = performance.now();
      for (let r = 0; r < n; r++) s.call();
      const ms = performance.now() - t0;
      best[i] = Math.min(best[i] ?? Infinity, ms / n);
      samples[i] = (samples[i] ?? 0) + 1;
      spent[i] = (spent[i] ?? 0) + ms;
    }
  }
  return subjects.map((_, i) => ({ msPerCall: best[i] ?? Infinity, samples: samples[i] ?? 0, callsPerSample: reps[i] ?? 1 }));
}

/** How long {@link timeRepeated} may spend. */
export interface RepeatOptions {
  /** Untimed calls first (JIT tiers, wasm compilation, buffer growth, peers' kernel caches). */
  readonly warmup: number;
  /** Timed calls at least, even past the budget. */
  readonly minReps: number;
  /** Timed calls at most. */
  readonly maxReps: number;
  /** Timed calls stop once they have used this much time (and `minReps` are done). */
  readonly budgetMs: number;
}

/** What {@link timeRepeated} measured: the fastest and the median call, in milliseconds. */
export interface RepeatTiming {
  readonly bestMs: number;
  readonly medianMs: number;
  readonly reps: number;
}

/**
 * Times a long call (a training step, a generation run) by repeating it: `warmup` untimed
 * calls, then timed calls until `minReps` are done and either `maxReps` are done or
 * `budgetMs` is spent. The best call is the figure to compare on a shared machine (other
 * jobs only ever add time); the median says how noisy the run was. Awaits `fn` when it
 * returns a promise (tfjs's trainOnBatch).
 *
 * @example
 * ```ts
 * const t = await timeRepeated(() => trainer.step(), { warmup: 2, minReps: 5, maxReps: 20, budgetMs: 5000 });
 * const tokensPerSec = (32 * 64) / (t.bestMs / 1000);
 * ```
 */
export async function timeRepeated(fn: () => unknown, options: RepeatOptions): Promise<RepeatTiming> {
  for (let i = 0; i < options.warmup; i++) await fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < options.minReps || (times.length < options.maxReps && spent < options.budgetMs)) {
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    times.push(ms);
    spent += ms;
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { bestMs: sorted[0] ?? Infinity, medianMs: sorted[Math.floor(sorted.length / 2)] ?? Infinity, reps: times.length };
}
