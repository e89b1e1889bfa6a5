import {
  ntmAddressingBackward, ntmAddressingForward, ntmWriteBackward, ntmWriteForward, type AddressingArgs, type MemoryWriteArgs,
} from '../kernels/ntm-addressing.js';
import { headLayout, ntmSequenceBackward, ntmSequenceForward, ntmTape, type NtmSequenceArgs, type NtmTape } from '../kernels/ntm-sequence.js';
import { ArgumentError, ShapeError, Tensor, allocate, type TypedArray } from '../tensor/index.js';
import type { MemoryOpName, NtmSequenceAttrs, NtmSequenceOpInputs, OpDef } from './op-def.js';
import { checkSameDType } from './raw/checks.js';

// The neural Turing machine's memory access as fused ops. Composed from primitives (see
// models/ntm/addressing.ts, the twin they are tested against) one head's addressing is about
// 60 graph nodes per time step, most of them on [B, N] or [B, N, M] tensors; fused it is one
// node whose backward runs in one pass over the memory. Promoted for speed, not stability.

function expectShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, `${name} must be [${shape.join(',')}]`, [t.shape]);
  }
}

function addressingArgs(inputs: readonly [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]): AddressingArgs {
  const [memory, key, beta, gate, shift, gamma, previous] = inputs;
  const op = 'ntmAddressing';
  checkSameDType(op, [...inputs]);
  if (memory.rank !== 3) throw new ShapeError(op, 'memory must be [batch, slots, width]', [memory.shape]);
  const [B, N, M] = memory.shape as [number, number, number];
  if (shift.rank !== 2 || shift.shape[0] !== B || (shift.shape[1] as number) % 2 !== 1 || (shift.shape[1] as number) > N) {
    throw new ShapeError(op, `shift must be [${B}, K] with K odd (offsets -r..r) and at most ${N}`, [shift.shape]);
  }
  expectShape(op, 'key', key, [B, M]);
  expectShape(op, 'beta', beta, [B, 1]);
  expectShape(op, 'gate', gate, [B, 1]);
  expectShape(op, 'gamma', gamma, [B, 1]);
  expectShape(op, 'previous', previous, [B, N]);
  return {
    batch: B, slots: N, width: M, shifts: shift.shape[1] as number,
    memory: memory.data, key: key.data, beta: beta.data, gate: gate.data, shift: shift.data, gamma: gamma.data, previous: previous.data,
  };
}

function writeArgs(inputs: readonly [Tensor, Tensor, Tensor, Tensor]): MemoryWriteArgs {
  const [memory, weights, erase, add] = inputs;
  const op = 'ntmWrite';
  checkSameDType(op, [...inputs]);
  if (memory.rank !== 3) throw new ShapeError(op, 'memory must be [batch, slots, width]', [memory.shape]);
  const [B, N, M] = memory.shape as [number, number, number];
  expectShape(op, 'weights', weights, [B, N]);
  expectShape(op, 'erase', erase, [B, M]);
  expectShape(op, 'add', add, [B, M]);
  return { batch: B, slots: N, width: M, memory: memory.data, weights: weights.data, erase: erase.data, add: add.data };
}

/** The saved activations of each recorded ntmSequence call, found again through its output. */
const ntmTapes = new WeakMap<Tensor, { args: NtmSequenceArgs; tape: NtmTape }>();

/**
 * Drops the saved activations of an ntmSequence output that no backward will read (the call
 * was not recorded). The functional wrapper calls it right after `apply`.
 *
 * @example
 * ```ts
 * const y = apply('ntmSequence', inputs, attrs);
 * if (y.gradFn === null) releaseNtmTape(y);
 * ```
 */
export function releaseNtmTape(output: Tensor): void {
  if (output.gradFn === null) ntmTapes.delete(output);
}

function sequenceArgs(inputs: NtmSequenceOpInputs, attrs: NtmSequenceAttrs): NtmSequenceArgs {
  const op = 'ntmSequence';
  checkSameDType(op, [...inputs]);
  const [xs, initialMemory, initialReads, initialWeights, headsWeight, headsBias, outputWeight, outputBias, weightIh, biasIh, weightHh, biasHh] = inputs;
  const lstm = weightHh !== undefined;
  if (xs.rank !== 3) throw new ShapeError(op, 'xs must be [batch, time, inputSize]', [xs.shape]);
  const [B, T, I] = xs.shape as [number, number, number];
  if (initialMemory.rank !== 2) throw new ShapeError(op, 'initialMemory must be [slots, width]', [initialMemory.shape]);
  const [N, M] = initialMemory.shape as [number, number];
  const { readHeads: R, writeHeads: W, shiftRange, clip } = attrs;
  if (!Number.isInteger(R) || !Number.isInteger(W) || R < 1 || W < 1) throw new ArgumentError(op, `readHeads and writeHeads must be positive integers, got ${R} and ${W}`);
  const K = 2 * shiftRange + 1;
  if (!Number.isInteger(shiftRange) || shiftRange < 0 || K > N) throw new ArgumentError(op, `shiftRange must be an integer with 2 * shiftRange + 1 <= ${N}, got ${shiftRange}`);
  if (!(clip >= 0)) throw new ArgumentError(op, `clip must be >= 0, got ${clip}`);
  if (T < 1 || B < 1) throw new ShapeError(op, 'xs needs at least one example and one step', [xs.shape]);
  const H = headsWeight.shape[1] as number;
  const O = outputWeight.shape[0] as number;
  const G = lstm ? 4 : 1;
  const In = I + R * M;
  const P = headLayout(R, W, M, K).size;
  expectShape(op, 'initialReads', initialReads, [R, M]);
  expectShape(op, 'initialWeights', initialWeights, [R + W, N]);
  expectShape(op, 'headsWeight', headsWeight, [P, H]);
  expectShape(op, 'headsBias', headsBias, [P]);
  expectShape(op, 'outputWeight', outputWeight, [O, H + R * M]);
  expectShape(op, 'outputBias', outputBias, [O]);
  expectShape(op, 'weightIh', weightIh, [G * H, In]);
  expectShape(op, 'biasIh', biasIh, [G * H]);
  if (weightHh !== undefined) expectShape(op, 'weightHh', weightHh, [4 * H, H]);
  if (biasHh !== undefined) expectShape(op, 'biasHh', biasHh, [4 * H]);
  return {
    batch: B, steps: T, inputSize: I, outputSize: O, hidden: H, slots: N, width: M, readHeads: R, writeHeads: W, shifts: K, lstm, clip,
    x: xs.data, initialMemory: initialMemory.data, initialReads: initialReads.data, initialWeights: initialWeights.data,
    weightIh: weightIh.data, weightHh: weightHh?.data ?? null, biasIh: biasIh.data, biasHh: biasHh?.data ?? null,
    headsWeight: headsWeight.data, headsBias: headsBias.data, outputWeight: outputWeight.data, outputBias: outputBias.data,
  };
}

function gradFor(t: Tensor): TypedArray | null {
  return t.requiresGrad ? allocate(t.dtype, t.size) : null;
}

function asTensor(data: TypedArray | null, like: Tensor): Tensor | null {
  return data === null ? null : new Tensor(data, like.shape);
}

/**
 * The memory ops of the neural Turing machine, forward and backward side by side; spread
 * into the op table in table.ts. The maths is in the kernels' doc comments
 * (kernels/ntm-addressing.ts).
 *
 * - ntmAddressing([memory [B,N,M], key [B,M], beta [B,1], gate [B,1], shift [B,K], gamma [B,1], previous [B,N]]) -> w [B,N]:
 *   content addressing, interpolation, circular shift and sharpening in one node.
 * - ntmWrite([memory [B,N,M], weights [B,N], erase [B,M], add [B,M]]) -> memory' [B,N,M]:
 *   M' = M (1 - w e^T) + w a^T.
 * - ntmSequence([xs [B,T,I], initial memory, reads and weightings, head layer, output layer,
 *   controller weights]) -> logits [B,T,O]: a whole NTMCell run (controller, every head's
 *   addressing, reads, writes, output) over T steps as one node, back-propagated through time
 *   in kernels/ntm-sequence.ts. Its composed twin is `scan` over `NTMCell`.
 *
 * @example
 * ```ts
 * // The functional wrappers record these table entries on the tape.
 * import { ntmAddressing, ntmWrite } from 'unfold';
 * const w = ntmAddressing(memory, key, beta, gate, shift, gamma, previous);
 * const next = ntmWrite(memory, w, erase, add);
 * ```
 */
export const MEMORY_OPS: { [K in MemoryOpName]: OpDef<K> } = {
  ntmAddressing: {
    forward: (inputs) => {
      const args = addressingArgs(inputs);
      const out = allocate(inputs[0].dtype, args.batch * args.slots);
      ntmAddressingForward(args, out);
      return new Tensor(out, [args.batch, args.slots]);
    },
    backward: (g, { inputs }) => {
      const args = addressingArgs(inputs);
      const [memory, key, beta, gate, shift, gamma, previous] = inputs;
      const grads = {
        memory: gradFor(memory), key: gradFor(key), beta: gradFor(beta), gate: gradFor(gate),
        shift: gradFor(shift), gamma: gradFor(gamma), previous: gradFor(previous),
      };
      ntmAddressingBackward(args, g.data, grads);
      return [
        asTensor(grads.memory, memory), asTensor(grads.key, key), asTensor(grads.beta, beta), asTensor(grads.gate, gate),
        asTensor(grads.shift, shift), asTensor(grads.gamma, gamma), asTensor(grads.previous, previous),
      ];
    },
  },
  ntmSequence: {
    forward: (inputs, attrs) => {
      const args = sequenceArgs(inputs, attrs);
      const tape = ntmTape(args.x, args);
      const y = new Tensor(allocate(inputs[0].dtype, args.batch * args.steps * args.outputSize), [args.batch, args.steps, args.outputSize]);
      ntmSequenceForward(args, tape, y.data);
      ntmTapes.set(y, { args, tape });
      return y;
    },
    backward: (g, { inputs, output }) => {
      const saved = ntmTapes.get(output);
      if (saved === undefined) throw new ArgumentError('ntmSequence', 'backward found no saved activations for this output (was it released as unrecorded?)');
      const grads = {
        x: gradFor(inputs[0]), initialMemory: gradFor(inputs[1]), initialReads: gradFor(inputs[2]), initialWeights: gradFor(inputs[3]),
        headsWeight: gradFor(inputs[4]), headsBias: gradFor(inputs[5]), outputWeight: gradFor(inputs[6]), outputBias: gradFor(inputs[7]),
        weightIh: gradFor(inputs[8]), biasIh: gradFor(inputs[9]),
        weightHh: inputs[10] === undefined ? null : gradFor(inputs[10]), biasHh: inputs[11] === undefined ? null : gradFor(inputs[11]),
      };
      ntmSequenceBackward(saved.args, saved.tape, g.data, grads);
      const out = [
        asTensor(grads.x, inputs[0]), asTensor(grads.initialMemory, inputs[1]), asTensor(grads.initialReads, inputs[2]), asTensor(grads.initialWeights, inputs[3]),
        asTensor(grads.headsWeight, inputs[4]), asTensor(grads.headsBias, inputs[5]), asTensor(grads.outputWeight, inputs[6]), asTensor(grads.outputBias, inputs[7]),
        asTensor(grads.weightIh, inputs[8]), asTensor(grads.biasIh, inputs[9]),
      ];
      if (inputs[10] !== undefined && inputs[11] !== undefined) out.push(asTensor(grads.weightHh, inputs[10]), asTensor(grads.biasHh, inputs[11]));
      return out as [Tensor | null, Tensor | null, Tensor | null, Tensor | null, Tensor | null, Tensor | null, Tensor | null, Tensor | null, Tensor | null, Tensor | null];
    },
  },
  ntmWrite: {
    forward: (inputs) => {
      const args = writeArgs(inputs);
      const out = allocate(inputs[0].dtype, inputs[0].size);
      ntmWriteForward(args, out);
      return new Tensor(out, inputs[0].shape);
    },
    backward: (g, { inputs }) => {
      const args = writeArgs(inputs);
      const [memory, weights, erase, add] = inputs;
      const grads = { memory: gradFor(memory), weights: gradFor(weights), erase: gradFor(erase), add: gradFor(add) };
      ntmWriteBackward(args, g.data, grads);
      return [asTensor(grads.memory, memory), asTensor(grads.weights, weights), asTensor(grads.erase, erase), asTensor(grads.add, add)];
    },
  },
};
