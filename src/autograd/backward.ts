import { ArgumentError, DTypeError, ShapeError, Tensor, sameShape, allocate } from '../tensor/index.js';
import { noGrad } from './grad-mode.js';

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** Keep the graph so `backward` can run through it again (default false: it is freed). */
  readonly retainGraph?: boolean;
}

/**
 * Reverse-mode differentiation. Walks the graph that produced `output` in reverse
 * topological order (the tape, rebuilt from the output's ancestry) and applies the
 * chain rule: for every op y = f(x1..xn), dL/dxi += backward_i(dL/dy).
 *
 * Gradients ACCUMULATE into the `grad` of every leaf tensor with `requiresGrad`
 * (parameters), so several backward calls sum; zero them between steps. `output` must
 * be a one-element tensor unless `gradOutput` (dL/doutput, same shape) is given.
 *
 * @example
 * ```ts
 * import { tensor, mul, sum, backward } from 'unfold';
 * const w = tensor([1, 2, 3], { requiresGrad: true });
 * backward(sum(mul(w, w)));
 * w.grad?.toArray(); // [2, 4, 6]
 * ```
 */
export function backward(output: Tensor, gradOutput?: Tensor, options: BackwardOptions = {}): void {
  if (!output.requiresGrad) {
    throw new ArgumentError('backward', 'the output does not require gradients: no parameter with requiresGrad took part, or it was computed under noGrad');
  }
  let seed: Tensor;
  if (gradOutput === undefined) {
    if (output.size !== 1) {
      throw new ShapeError('backward', 'an output with more than one element needs an explicit gradOutput', [output.shape]);
    }
    const one = allocate(output.dtype, 1);
    one[0] = 1;
    seed = new Tensor(one, output.shape);
  } else {
    checkGradient('backward', output, gradOutput);
    seed = gradOutput;
  }

  const order = topologicalOrder(output);
  const grads = new Map<Tensor, Tensor>([[output, seed]]);
  // Buffers that belong to this pass alone and may be accumulated into in place (the sums made
  // here, and the gradients of ops that declare them fresh); any other gradient may be shared
  // (add's backward hands the same tensor to both inputs).
  const owned = new Set<Tensor>();

  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i] as Tensor;
      const grad = grads.get(node);
      if (grad === undefined) continue;
      grads.delete(node);
      const fn = node.gradFn;
      if (fn === null) {
        if (!node.isLeaf) {
          throw new ArgumentError('backward', 'part of this graph was already freed by an earlier backward; pass { retainGraph: true } to the first call to back-propagate twice');
        }
        accumulateLeaf(node, grad, owned.has(grad));
        continue;
      }
      if (node.retainsGrad) node.grad = grad;
      // The node's gradient is spent here, and its op may hand it on as it is (add gives the
      // same tensor to both inputs): from now on it may be shared, so no longer owned.
      owned.delete(grad);
      const inputGrads = fn.backward(grad);
      for (let k = 0; k < fn.inputs.length; k++) {
        const input = fn.inputs[k] as Tensor;
        const g = inputGrads[k];
        if (g === null || g === undefined || !input.requiresGrad) continue;
        checkGradient(fn.op, input, g);
        // An op's fresh gradient belongs to this pass alone: kept or added into without a copy.
        if (fn.freshGradients === true) owned.add(g);
        const previous = grads.get(input);
        if (previous === undefined) {
          grads.set(input, g);
        } else if (owned.has(previous)) {
          addInto(previous, g);
        } else {
          const sum = new Tensor(previous.data.slice(), previous.shape);
          addInto(sum, g);
          owned.add(sum);
          grads.set(input, sum);
        }
      }
      if (options.retainGraph !== true) node.gradFn = null;
    }
  });
}

function accumulateLeaf(leaf: Tensor, grad: Tensor, isOwned: boolean): void {
  if (leaf.grad === null) {
    leaf.grad = isOwned ? grad : new Tensor(grad.data.slice(), grad.shape);
  } else {
    addInto(leaf.grad, grad);
  }
}

function addInto(target: Tensor, g: Tensor): void {
  const a = target.data;
  const b = g.data;
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + (b[i] as number);
}

function checkGradient(op: string, t: Tensor, g: Tensor): void {
  if (!sameShape(t.shape, g.shape)) {
    throw new ShapeError(op, 'backward produced a gradient of the wrong shape', [t.shape, g.shape]);
  }
  if (t.dtype !== g.dtype) {
    throw new DTypeError(op, `backward produced a ${g.dtype} gradient for a ${t.dtype} tensor`);
  }
}

/** Tensors that lead to `root` through recorded ops, inputs before outputs. Iterative: deep unrolled graphs must not overflow the stack. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as [Tensor, number];
    const [node, next] = top;
    const inputs = node.gradFn?.inputs ?? [];
    if (next < inputs.length) {
      top[1] = next + 1;
      const child = inputs[next] as Tensor;
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}
