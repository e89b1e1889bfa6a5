import type { Tensor } from '../tensor/index.js';
import type { FoldLevelSchedule, SlottedFoldLevelSchedule } from '../kernels/tree-fold-levels.js';

/** No attributes. */
export type NoAttrs = Readonly<Record<string, never>>;

/** Attributes of a reduction over axes. `axes: null` reduces every axis. */
export interface ReduceAttrs {
  readonly axes: readonly number[] | null;
  readonly keepDims: boolean;
}

/**
 * The signature of every primitive op: its tensor inputs (a tuple) and its attributes.
 * Adding a key here without an entry in the op table is a type error, and so is an
 * entry without a backward.
 */
export interface OpSignatures {
  add: { inputs: [Tensor, Tensor]; attrs: NoAttrs };
  sub: { inputs: [Tensor, Tensor]; attrs: NoAttrs };
  mul: { inputs: [Tensor, Tensor]; attrs: NoAttrs };
  div: { inputs: [Tensor, Tensor]; attrs: NoAttrs };
  neg: { inputs: [Tensor]; attrs: NoAttrs };
  exp: { inputs: [Tensor]; attrs: NoAttrs };
  log: { inputs: [Tensor]; attrs: NoAttrs };
  tanh: { inputs: [Tensor]; attrs: NoAttrs };
  sigmoid: { inputs: [Tensor]; attrs: NoAttrs };
  relu: { inputs: [Tensor]; attrs: NoAttrs };
  softplus: { inputs: [Tensor]; attrs: NoAttrs };
  abs: { inputs: [Tensor]; attrs: NoAttrs };
  pow: { inputs: [Tensor]; attrs: { readonly exponent: number } };
  clamp: { inputs: [Tensor]; attrs: { readonly min: number; readonly max: number } };
  scale: { inputs: [Tensor]; attrs: { readonly factor: number } };
  sum: { inputs: [Tensor]; attrs: ReduceAttrs };
  max: { inputs: [Tensor]; attrs: ReduceAttrs };
  reshape: { inputs: [Tensor]; attrs: { readonly shape: readonly number[] } };
  transpose: { inputs: [Tensor]; attrs: { readonly perm: readonly number[] } };
  broadcastTo: { inputs: [Tensor]; attrs: { readonly shape: readonly number[] } };
  slice: { inputs: [Tensor]; attrs: { readonly begin: readonly number[]; readonly size: readonly number[] } };
  concat: { inputs: Tensor[]; attrs: { readonly axis: number } };
  gather: { inputs: [Tensor, Tensor]; attrs: NoAttrs };
  where: { inputs: [Tensor, Tensor, Tensor]; attrs: NoAttrs };
  matmul: { inputs: [Tensor, Tensor]; attrs: { readonly transA: boolean; readonly transB: boolean } };
  rnnSequence: { inputs: SequenceOpInputs; attrs: SequenceAttrs & { readonly nonlinearity: 'tanh' | 'relu' } };
  lstmSequence: { inputs: LstmSequenceOpInputs; attrs: SequenceAttrs };
  gruSequence: { inputs: SequenceOpInputs; attrs: SequenceAttrs & { readonly resetAfter: boolean } };
  linear: { inputs: [Tensor, Tensor] | [Tensor, Tensor, Tensor]; attrs: NoAttrs };
  softmaxCrossEntropy: { inputs: [Tensor, Tensor, Tensor]; attrs: { readonly reduction: 'mean' | 'sum' | 'none' } };
  ntmAddressing: { inputs: [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]; attrs: NoAttrs };
  ntmWrite: { inputs: [Tensor, Tensor, Tensor, Tensor]; attrs: NoAttrs };
  ntmSequence: { inputs: NtmSequenceOpInputs; attrs: NtmSequenceAttrs };
  naryTreeLstm: { inputs: NaryTreeLstmOpInputs; attrs: NaryTreeLstmAttrs };
  childSumTreeLstm: { inputs: NaryTreeLstmOpInputs; attrs: ChildSumTreeLstmAttrs };
  naryTreeLstmFold: { inputs: NaryTreeLstmOpInputs; attrs: NaryTreeLstmFoldAttrs };
  childSumTreeLstmFold: { inputs: NaryTreeLstmOpInputs; attrs: ChildSumTreeLstmFoldAttrs };
  treeRnnFold: { inputs: NaryTreeLstmOpInputs; attrs: NaryTreeLstmFoldAttrs };
}

/**
 * Attributes of the fused sequence ops (rnnSequence, lstmSequence, gruSequence; see
 * ops/fused.ts): per-example valid lengths (null: all T steps valid) and the direction.
 */
export interface SequenceAttrs {
  readonly lengths: readonly number[] | null;
  readonly reverse: boolean;
}

/** Inputs of rnnSequence and gruSequence: [xs, h0, weightIh, weightHh] or with [biasIh, biasHh] appended. */
export type SequenceOpInputs = [Tensor, Tensor, Tensor, Tensor] | [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];

/** Inputs of lstmSequence: [xs, h0, c0, weightIh, weightHh] or with [biasIh, biasHh] appended. */
export type LstmSequenceOpInputs = [Tensor, Tensor, Tensor, Tensor, Tensor] | [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];

/** The fused sequence ops, whose definitions live in ops/fused.ts and are spread into the op table. */
export type FusedOpName = 'rnnSequence' | 'lstmSequence' | 'gruSequence';

/** The promoted output-head ops (affine layer, softmax cross-entropy), defined in ops/fused-head.ts. */
export type FusedHeadOpName = 'linear' | 'softmaxCrossEntropy';

/** The neural Turing machine's fused memory ops, whose definitions live in ops/memory-ops.ts. */
export type MemoryOpName = 'ntmAddressing' | 'ntmWrite' | 'ntmSequence';

/**
 * Inputs of ntmSequence: [xs, initialMemory, initialReads, initialWeights, headsWeight, headsBias,
 * outputWeight, outputBias, weightIh, biasIh] for a feed-forward controller, with [weightHh, biasHh]
 * appended for an LSTM controller.
 */
export type NtmSequenceOpInputs =
  | [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]
  | [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];

/** Attributes of ntmSequence: head counts, the shift window and the clip of the controller's outputs. */
export interface NtmSequenceAttrs {
  readonly readHeads: number;
  readonly writeHeads: number;
  readonly shiftRange: number;
  readonly clip: number;
}

/** The fused tree ops, whose definitions live in ops/tree-ops.ts. */
export type TreeOpName = 'naryTreeLstm' | 'childSumTreeLstm' | 'naryTreeLstmFold' | 'childSumTreeLstmFold' | 'treeRnnFold';

/**
 * Inputs of naryTreeLstm and childSumTreeLstm: [x, weightIh, weightHh], then [biasIh, biasHh]
 * when attrs.bias, then [childH, childC] when attrs.children.
 */
export type NaryTreeLstmOpInputs = [Tensor, Tensor, Tensor, ...Tensor[]];

/** Attributes of naryTreeLstm: child slots N, whether the biases and the children's states are given. */
export interface NaryTreeLstmAttrs {
  readonly arity: number;
  readonly bias: boolean;
  readonly children: boolean;
}

/**
 * Attributes of naryTreeLstmFold and treeRnnFold (inputs [x, weightIh, weightHh], then
 * [biasIh, biasHh] when bias): child slots N, and the level schedule of the fold (tree/fold.ts's
 * FoldPlan levels).
 */
export interface NaryTreeLstmFoldAttrs {
  readonly arity: number;
  readonly bias: boolean;
  readonly levels: readonly FoldLevelSchedule[];
  /**
   * Table inputs: x is a table [rows, I] and node r's input is its row inputRows[r] (i32, one
   * per node in plan order); the x gradient is the table's.
   */
  readonly inputRows?: Int32Array;
}

/**
 * Attributes of childSumTreeLstmFold (inputs [x, weightIh, weightHh], then [biasIh, biasHh]
 * when bias): the level schedule of the fold, each level with its own child slots (tree/fold.ts's
 * FoldPlan levels).
 */
export interface ChildSumTreeLstmFoldAttrs {
  readonly bias: boolean;
  readonly levels: readonly SlottedFoldLevelSchedule[];
  /** Table inputs, as NaryTreeLstmFoldAttrs.inputRows. */
  readonly inputRows?: Int32Array;
}

/** Attributes of childSumTreeLstm: whether the biases and the children's states are given. */
export interface ChildSumTreeLstmAttrs {
  readonly bias: boolean;
  readonly children: boolean;
}

/** The name of a primitive op. */
export type OpName = keyof OpSignatures;

/** Gradients for an op's inputs, in input order; `null` for inputs that take none. */
export type InputGrads<I extends readonly Tensor[]> = { [P in keyof I]: Tensor | null };

/** What backward sees of the forward call. */
export interface OpContext<K extends OpName> {
  readonly inputs: OpSignatures[K]['inputs'];
  readonly attrs: OpSignatures[K]['attrs'];
  readonly output: Tensor;
}

/**
 * One primitive: forward (typed arrays in, a new tensor out, never recorded) beside its
 * backward (the vector-Jacobian product: given dL/doutput, return dL/dinput for each
 * input, computed with the public ops, which are not recorded during backward).
 */
export interface OpDef<K extends OpName> {
  /** Validates inputs and computes the output. Throws ShapeError/DTypeError on bad input. */
  forward(inputs: OpSignatures[K]['inputs'], attrs: OpSignatures[K]['attrs']): Tensor;
  /** The vector-Jacobian product. */
  backward(grad: Tensor, ctx: OpContext<K>): InputGrads<OpSignatures[K]['inputs']>;
  /**
   * Set when every gradient `backward` returns is a new tensor on new storage that nothing
   * else references (see GradFn.freshGradients): the autograd then keeps or accumulates into
   * it without copying. Leave unset for an op that may hand on `grad` itself, the same tensor
   * for two inputs, or a buffer it reuses.
   */
  readonly freshGradients?: true;
}

/** The op table type: exactly one definition per op name. */
export type OpTable = { [K in OpName]: OpDef<K> };
