import { Module } from '../nn/index.js';
import { ArgumentError, Tensor, allocate, type TypedArray } from '../tensor/index.js';

/** Hyperparameters other than the learning rate: flat, JSON-safe numbers and flags. */
export type Hyperparameters = Record<string, number | boolean>;

/** What an optimizer keeps for one parameter: how many updates it has had, and its buffers. */
export interface ParamState {
  /** Updates applied to this parameter (parameters without a gradient are skipped, as in PyTorch). */
  readonly step: number;
  /** Named running buffers (`exp_avg` and so on), each the parameter's size and dtype. */
  readonly buffers: Readonly<Record<string, TypedArray>>;
}

/**
 * A snapshot of an optimizer for checkpoints: plain JSON-able values plus typed arrays
 * (which a model file stores as tensors). Buffers are copies, not views of live state.
 */
export interface OptimizerState {
  /** The optimizer's class, e.g. `'Adam'`; loading into another kind is refused. */
  readonly kind: string;
  /** The learning rate and every other hyperparameter, by name. */
  readonly hyperparameters: Readonly<Hyperparameters> & { readonly lr: number };
  /** One entry per parameter, in the optimizer's parameter order. */
  readonly params: readonly ParamState[];
}

/** A parameter's mutable bookkeeping inside an optimizer. */
export interface Slot {
  step: number;
  readonly buffers: Map<string, TypedArray>;
}

/** The parameters an optimizer or clipping function acts on: a list, or every parameter of a module. */
export type ParamSource = Iterable<Tensor> | Module;

/** Resolves a {@link ParamSource} into an array (a module's parameters in namedParameters order). */
export function paramList(params: ParamSource): Tensor[] {
  return params instanceof Module ? params.parameters() : [...params];
}

/** Throws unless `x` is a finite number >= 0. */
export function checkNonNegative(where: string, name: string, x: number): void {
  if (!(x >= 0 && Number.isFinite(x))) throw new ArgumentError(where, `${name} must be a finite number >= 0, got ${x}`);
}

/** Throws unless 0 <= x < 1. */
export function checkUnit(where: string, name: string, x: number): void {
  if (!(x >= 0 && x < 1)) throw new ArgumentError(where, `${name} must be in [0, 1), got ${x}`);
}

/**
 * The base of every optimizer: holds the parameters, one {@link Slot} per parameter, the
 * learning rate and a flat record of hyperparameters. `step()` calls the subclass's
 * element-wise rule on each parameter that has a gradient, writing `param.data` in place
 * with plain loops (no graph is recorded: updates are not differentiable).
 *
 * The learning rate is a settable property, so schedules are one line:
 * `optimizer.lr = base * decay ** epoch`.
 *
 * `state()` and `loadState()` round-trip exactly: a fresh optimizer loaded from a
 * snapshot continues bit-for-bit as the original would have.
 *
 * @example
 * ```ts
 * import { Adam, Linear, Rng, backward, mse, randn } from 'unfold';
 * const rng = new Rng(0);
 * const model = new Linear({ inFeatures: 3, outFeatures: 1, rng });
 * const opt = new Adam(model, { lr: 0.01 });
 * const x = randn([8, 3], rng), y = randn([8, 1], rng);
 * for (let i = 0; i < 100; i++) {
 *   opt.zeroGrad();
 *   backward(mse(model.forward(x), y));
 *   opt.step();
 * }
 * const snapshot = opt.state(); // into a checkpoint
 * ```
 */
export abstract class Optimizer<H extends Hyperparameters = Hyperparameters> {
  /** The optimised parameters, in order (their order is the order of `state().params`). */
  readonly params: readonly Tensor[];
  /** The optimizer's name in snapshots. */
  abstract readonly kind: string;
  protected options: H;
  protected readonly slots: readonly Slot[];
  private lrValue = 0;

  protected constructor(params: ParamSource, lr: number, options: H) {
    const list = paramList(params);
    const where = new.target.name;
    if (list.length === 0) throw new ArgumentError(where, 'got an empty parameter list');
    const seen = new Set<Tensor>();
    for (const [i, p] of list.entries()) {
      if (!(p instanceof Tensor)) throw new ArgumentError(where, `parameter ${i} is not a Tensor`);
      if (!p.requiresGrad) throw new ArgumentError(where, `parameter ${i}${p.name === undefined ? '' : ` (${p.name})`} does not require gradients`);
      if (seen.has(p)) throw new ArgumentError(where, `parameter ${i} appears twice; it would be updated twice per step`);
      seen.add(p);
    }
    this.params = list;
    this.slots = list.map(() => ({ step: 0, buffers: new Map<string, TypedArray>() }));
    this.lr = lr;
    this.validate(options);
    this.options = { ...options };
  }

  /** The learning rate used by the next `step()`. */
  get lr(): number {
    return this.lrValue;
  }

  set lr(value: number) {
    checkNonNegative(this.constructor.name, 'lr', value);
    this.lrValue = value;
  }

  /** The hyperparameters other than `lr` (a copy). */
  get hyperparameters(): Readonly<H> {
    return { ...this.options };
  }

  /** Applies one update to every parameter that has a gradient; parameters with `grad === null` are left alone. */
  step(): void {
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i] as Tensor;
      const g = p.grad;
      if (g === null) continue;
      const slot = this.slots[i] as Slot;
      slot.step += 1;
      this.update(p.data, g.data, slot);
    }
  }

  /** Clears the parameters' gradients: `grad = null` by default, or zero-filled in place with `false`. */
  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      if (setToNone) p.grad = null;
      else p.grad?.data.fill(0);
    }
  }

  /** A deep copy of everything needed to continue: hyperparameters, step counts, buffers. */
  state(): OptimizerState {
    return {
      kind: this.kind,
      hyperparameters: { ...this.options, lr: this.lr },
      params: this.slots.map((s) => ({
        step: s.step,
        buffers: Object.fromEntries([...s.buffers].map(([k, v]) => [k, v.slice()])),
      })),
    };
  }

  /**
   * Restores a snapshot from {@link Optimizer.state} (hyperparameters included, as
   * PyTorch's load_state_dict does). Everything is validated before anything changes:
   * the kind, the number of parameters, every hyperparameter's name and type, and every
   * buffer's length. Buffers are copied into the parameters' dtype.
   */
  loadState(state: OptimizerState): void {
    const where = `${this.kind}.loadState`;
    if (state.kind !== this.kind) throw new ArgumentError(where, `snapshot is of a ${state.kind} optimizer`);
    if (state.params.length !== this.params.length) {
      throw new ArgumentError(where, `snapshot has ${state.params.length} parameters, this optimizer has ${this.params.length}`);
    }
    const { lr, ...rest } = state.hyperparameters;
    for (const [key, value] of Object.entries(this.options)) {
      if (typeof rest[key] !== typeof value) throw new ArgumentError(where, `hyperparameter ${key} is missing or has the wrong type`);
    }
    for (const key of Object.keys(rest)) {
      if (!(key in this.options)) throw new ArgumentError(where, `unknown hyperparameter ${key}`);
    }
    checkNonNegative(where, 'lr', lr);
    const options = rest as H;
    this.validate(options);
    const restored = state.params.map((ps, i) => {
      const p = this.params[i] as Tensor;
      if (!Number.isInteger(ps.step) || ps.step < 0) throw new ArgumentError(where, `parameter ${i}: step must be a non-negative integer, got ${ps.step}`);
      const buffers = new Map<string, TypedArray>();
      for (const [name, b] of Object.entries(ps.buffers)) {
        if (b.length !== p.size) throw new ArgumentError(where, `parameter ${i}: buffer ${name} has ${b.length} elements, the parameter ${p.size}`);
        const copy = allocate(p.dtype, p.size);
        copy.set(b);
        buffers.set(name, copy);
      }
      return { step: ps.step, buffers };
    });
    this.options = { ...options };
    this.lr = lr;
    restored.forEach((r, i) => {
      const slot = this.slots[i] as Slot;
      slot.step = r.step;
      slot.buffers.clear();
      for (const [k, v] of r.buffers) slot.buffers.set(k, v);
    });
  }

  /**
   * The buffer `name` of a slot, created (filled with `fill`) on first use in the
   * parameter's dtype, so state keeps the precision of the parameter, as in PyTorch.
   */
  protected buffer(slot: Slot, like: TypedArray, name: string, fill = 0): TypedArray {
    let b = slot.buffers.get(name);
    if (b === undefined) {
      b = like instanceof Float64Array ? new Float64Array(like.length) : new Float32Array(like.length);
      if (fill !== 0) b.fill(fill);
      slot.buffers.set(name, b);
    }
    return b;
  }

  /** Throws an ArgumentError for an invalid hyperparameter (used by the constructor and loadState). */
  protected abstract validate(options: H): void;

  /** Updates `param` in place from `grad`; `slot.step` already counts this update. */
  protected abstract update(param: TypedArray, grad: TypedArray, slot: Slot): void;
}
