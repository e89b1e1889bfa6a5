import { isGradEnabled, noGrad } from '../autograd/index.js';
import type { Tensor } from '../tensor/index.js';
import type { OpName, OpSignatures } from './op-def.js';
import { OPS } from './table.js';

/**
 * Runs primitive `name` and, when gradients are being recorded and an input requires
 * them, links the output into the graph with the op's backward.
 */
export function apply<K extends OpName>(name: K, inputs: OpSignatures[K]['inputs'], attrs: OpSignatures[K]['attrs']): Tensor {
  const def = OPS[name];
  const output = noGrad(() => def.forward(inputs, attrs));
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    output.requiresGrad = true;
    output.isLeaf = false;
    output.gradFn = {
      op: name,
      inputs,
      backward: (grad: Tensor) => def.backward(grad, { inputs, attrs, output }),
      freshGradients: def.freshGradients === true,
    };
  }
  return output;
}
