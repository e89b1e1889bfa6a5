import { Tensor } from '../tensor/index.js';

/**
 * Marks a tensor as a trainable parameter (sets `requiresGrad`) and returns it.
 *
 * A function rather than a `Parameter` subclass of Tensor: every creation function,
 * op and checkpoint loader makes plain Tensors, and a subclass would have to be threaded
 * through all of them (or copied into) to survive; a leaf tensor with `requiresGrad` is
 * already exactly what the optimizers and `backward` need. {@link Module.parameters}
 * therefore collects every leaf (`gradFn === null`) tensor with `requiresGrad` found in
 * a module's fields; non-leaf tensors (a cached hidden state still attached to its graph)
 * are results, not parameters, and are skipped.
 *
 * @example
 * ```ts
 * import { parameter, zeros } from 'unfold';
 * const bias = parameter(zeros([16])); // bias.requiresGrad === true
 * ```
 */
export function parameter(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

function isParameter(value: unknown): value is Tensor {
  return value instanceof Tensor && value.requiresGrad && value.isLeaf;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Visits the parameters and sub-modules reachable from `root`'s own fields, depth-first
 * in field order, calling `onModule` for every module (root first) and `onParameter` for
 * every parameter. Each object is entered once: cycles (a child pointing back at its
 * parent) terminate, and a module or tensor shared under two names (tied weights) is
 * reported under the first name only, as in PyTorch.
 */
function walk(
  root: Module,
  onModule: (name: string, m: Module) => void,
  onParameter: (name: string, p: Tensor) => void,
): void {
  const seen = new Set<unknown>();
  const visit = (prefix: string, value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    if (value instanceof Tensor) {
      if (!isParameter(value)) return;
      seen.add(value);
      onParameter(prefix, value);
      return;
    }
    const join = (key: string): string => (prefix === '' ? key : `${prefix}.${key}`);
    if (value instanceof Module) {
      seen.add(value);
      onModule(prefix, value);
      for (const [key, child] of Object.entries(value)) visit(join(key), child);
    } else if (Array.isArray(value)) {
      seen.add(value);
      value.forEach((child, i) => visit(join(String(i)), child));
    } else if (value instanceof Map) {
      seen.add(value);
      for (const [key, child] of value) visit(join(String(key)), child);
    } else if (isPlainObject(value)) {
      // Plain records of layers (`{ query: Linear, key: Linear }`) are containers too;
      // other class instances (an Rng, a config) are never walked into.
      seen.add(value);
      for (const [key, child] of Object.entries(value)) visit(join(key), child);
    }
  };
  visit('', root);
}

/**
 * Base class of every layer and model. Parameters need no registration: they are found
 * by walking the module's own fields (in declaration order) recursively through child
 * modules, arrays, Maps and plain objects.
 *
 * Parameter names are the field paths joined by dots, e.g. `encoder.layers.0.weightIh`;
 * they are the keys of checkpoints, so they are stable: same class, same names, same
 * order. Fields are walked in the order the constructor creates them.
 *
 * Only leaf tensors (made directly, not by a recorded op) with `requiresGrad` count as
 * parameters, so an op's output stored in a field is never mistaken for one, even after
 * `backward` has freed its graph. Fields declared with `#private` syntax are invisible to
 * the walk.
 *
 * `training` (default true) is switched for the whole tree by {@link Module.train} and
 * {@link Module.eval}; layers such as Dropout read it.
 *
 * @example
 * ```ts
 * import { Module, Linear, Rng, tanh, type Tensor } from 'unfold';
 * class Mlp extends Module {
 *   readonly hidden: Linear;
 *   readonly out: Linear;
 *   constructor(rng: Rng) {
 *     super();
 *     this.hidden = new Linear({ inFeatures: 2, outFeatures: 8, rng });
 *     this.out = new Linear({ inFeatures: 8, outFeatures: 1, rng });
 *   }
 *   forward(x: Tensor): Tensor { return this.out.forward(tanh(this.hidden.forward(x))); }
 * }
 * const net = new Mlp(new Rng(0));
 * [...net.namedParameters().keys()]; // ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
 * net.numParameters(); // 33
 * ```
 */
export class Module {
  /** True in training mode (the default), false after {@link Module.eval}. */
  training = true;

  /** Every parameter with its dotted name, in stable field order; shared tensors appear once. */
  namedParameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    walk(this, () => undefined, (name, p) => out.set(name, p));
    return out;
  }

  /** Every parameter, in the order of {@link Module.namedParameters}. */
  parameters(): Tensor[] {
    return [...this.namedParameters().values()];
  }

  /** This module (name '') and every sub-module below it, with dotted names. */
  namedModules(): Map<string, Module> {
    const out = new Map<string, Module>();
    walk(this, (name, m) => out.set(name, m), () => undefined);
    return out;
  }

  /** Sets training mode on this module and every sub-module. Returns `this`. */
  train(mode = true): this {
    for (const m of this.namedModules().values()) m.training = mode;
    return this;
  }

  /** Evaluation mode (`train(false)`): dropout off. Returns `this`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Clears every parameter's gradient. By default the gradient is dropped (`grad = null`,
   * as PyTorch's default `set_to_none`), which costs nothing and lets optimizers skip
   * parameters that received no gradient; pass false to fill the existing buffers with 0.
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else p.grad?.data.fill(0);
    }
  }

  /** Total number of scalar parameters (shared tensors counted once). */
  numParameters(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.size;
    return n;
  }
}
