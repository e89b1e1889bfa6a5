import { Module } from '../nn/index.js';
import { add, matmul, mul, tanh, where } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, allocate, zeros, type DType } from '../tensor/index.js';
import { checkBaseConfig, checkStepInput, type BaseCellConfig, type Cell, type StepResult } from './cell.js';
import { uniformParameter } from './params.js';

/** Config of a {@link ClockworkCell}. */
export interface ClockworkCellConfig extends BaseCellConfig {
  /**
   * The period T_i >= 1 (an integer) of each module; default 1, 2, 4, ..., 2^(g-1) as in
   * Koutnik et al. The number of entries is the number of modules g.
   */
  readonly periods?: readonly number[];
  /** The number of modules g when `periods` is absent (default min(4, hiddenSize)). */
  readonly modules?: number;
  /** Include the biases (default true). */
  readonly bias?: boolean;
}

/** The defaults of {@link ClockworkCellConfig}, in one place. */
export const CLOCKWORK_DEFAULTS = { maxModules: 4, bias: true } as const;

/**
 * The state of a clockwork RNN: the hidden vector and each example's step counter.
 * `clock` [B, 1] holds t, the number of (valid) steps the example has taken.
 */
export type ClockworkState = { readonly h: Tensor; readonly clock: Tensor };

/**
 * The clockwork RNN (Koutnik, Greff, Gomez & Schmidhuber 2014; the chapter's section 10.9,
 * multiple time scales). The H hidden units are split into g modules (sizes as equal as
 * possible, the first ones one unit larger), module i with period T_i. At step t
 *
 *     a(t)   = b + (W * M) h(t-1) + U x(t)
 *     h_i(t) = tanh(a_i(t))   if t mod T_i == 0     (module i runs)
 *     h_i(t) = h_i(t-1)       otherwise             (module i holds its value)
 *
 * with U = weightIh [H, I], W = weightHh [H, H], b = biasIh + biasHh, and M the constant
 * block mask M[r, c] = 1 iff period(c) >= period(r): a module hears itself and the slower
 * modules only, so slow modules carry long-range context down to fast ones and are not
 * disturbed by fast-changing units. Multiplying by M in the forward pass (rather than
 * zeroing W once) makes the gradient of every masked weight exactly zero, so no optimizer
 * step can grow a forbidden connection. Masked entries start at zero as well.
 *
 * The counter lives in the state as a [B, 1] tensor rather than one number: under `scan`
 * with per-example lengths (and in reverse) a padded example keeps its own count, so its
 * modules fire at its own t = 0, T_i, 2 T_i, ... Counts are exact up to 2^24 in float32.
 *
 * @example
 * ```ts
 * const cell = new ClockworkCell({ inputSize: 2, hiddenSize: 12, periods: [1, 2, 4, 8] }, new Rng(0));
 * const { outputs } = scan(cell, xs); // the 3 units of the period-8 module change at t = 0, 8, 16...
 * ```
 */
export class ClockworkCell extends Module implements Cell<ClockworkState> {
  readonly kind = 'clockwork';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly dtype: DType;
  /** T_i of each module, in module order. */
  readonly periods: readonly number[];
  /** The period of each hidden unit (its module's). */
  readonly unitPeriods: readonly number[];
  /** U: [hiddenSize, inputSize] */
  readonly weightIh: Tensor;
  /** W: [hiddenSize, hiddenSize]; only the entries where recurrentMask is 1 are used. */
  readonly weightHh: Tensor;
  /** [hiddenSize], or null without bias */
  readonly biasIh: Tensor | null;
  /** [hiddenSize], or null without bias */
  readonly biasHh: Tensor | null;
  /** M: [hiddenSize, hiddenSize] constant 0/1 (not a parameter), 1 where period(column) >= period(row). */
  readonly recurrentMask: Tensor;

  constructor(config: ClockworkCellConfig, rng: Rng) {
    super();
    checkBaseConfig('clockwork', config);
    const { inputSize: i, hiddenSize: h } = config;
    this.inputSize = i;
    this.hiddenSize = h;
    this.outputSize = h;
    this.dtype = config.dtype ?? 'float32';
    this.periods = modulePeriods(config);
    const g = this.periods.length;
    const unitPeriods: number[] = [];
    this.periods.forEach((period, m) => {
      const size = Math.floor(h / g) + (m < h % g ? 1 : 0);
      for (let u = 0; u < size; u++) unitPeriods.push(period);
    });
    this.unitPeriods = unitPeriods;
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([h, h], k, rng, this.dtype);
    const bias = config.bias ?? CLOCKWORK_DEFAULTS.bias;
    this.biasIh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
    this.biasHh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
    const mask = allocate(this.dtype, h * h);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < h; c++) mask[r * h + c] = (unitPeriods[c] as number) >= (unitPeriods[r] as number) ? 1 : 0;
    }
    this.recurrentMask = new Tensor(mask, [h, h]);
    this.weightHh.data.forEach((_, j) => {
      if (mask[j] === 0) this.weightHh.data[j] = 0;
    });
  }

  initialState(batch: number): ClockworkState {
    return { h: zeros([batch, this.hiddenSize], { dtype: this.dtype }), clock: zeros([batch, 1], { dtype: this.dtype }) };
  }

  step(x: Tensor, state: ClockworkState): StepResult<ClockworkState> {
    checkStepInput(this, x);
    const batch = x.shape[0] as number;
    const h = this.hiddenSize;
    let a = add(matmul(x, this.weightIh, { transB: true }), matmul(state.h, mul(this.weightHh, this.recurrentMask), { transB: true }));
    if (this.biasIh !== null && this.biasHh !== null) a = add(a, add(this.biasIh, this.biasHh));
    const running = allocate(this.dtype, batch * h);
    const clock = allocate(this.dtype, batch);
    for (let b = 0; b < batch; b++) {
      const t = state.clock.data[b] as number;
      clock[b] = t + 1;
      for (let u = 0; u < h; u++) running[b * h + u] = t % (this.unitPeriods[u] as number) === 0 ? 1 : 0;
    }
    const next = where(new Tensor(running, [batch, h]), tanh(a), state.h);
    return { output: next, state: { h: next, clock: new Tensor(clock, [batch, 1]) } };
  }
}

function modulePeriods(config: ClockworkCellConfig): number[] {
  const h = config.hiddenSize;
  const g = config.periods?.length ?? config.modules ?? Math.min(CLOCKWORK_DEFAULTS.maxModules, h);
  if (!Number.isInteger(g) || g < 1 || g > h) {
    throw new ArgumentError('clockwork cell', `the number of modules must be an integer in 1..hiddenSize (${h}), got ${g}`);
  }
  if (config.periods !== undefined && config.modules !== undefined && config.modules !== g) {
    throw new ArgumentError('clockwork cell', `modules = ${config.modules} but periods has ${g} entries`);
  }
  const periods = config.periods === undefined ? Array.from({ length: g }, (_, m) => 2 ** m) : [...config.periods];
  periods.forEach((p, m) => {
    if (!Number.isInteger(p) || p < 1) throw new ArgumentError('clockwork cell', `periods[${m}] = ${p} is not a positive integer`);
  });
  return periods;
}
