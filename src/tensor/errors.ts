/**
 * Every error unfold throws on purpose is an {@link UnfoldError}: a typed error with a
 * stable `code` that a program can switch on and a message a person can act on.
 *
 * @example
 * ```ts
 * import { zeros, add, ShapeError } from 'unfold';
 * try { add(zeros([2, 3]), zeros([4])); } catch (e) { if (e instanceof ShapeError) console.log(e.message); }
 * ```
 */
export class UnfoldError extends Error {
  /** A stable machine-readable code, e.g. `'shape'`, `'dtype'`, `'argument'`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Thrown when tensor shapes do not fit together; the message names the operation and
 * every shape involved, e.g. `matmul: inner dimensions differ: a [2,3] vs b [4,5]`.
 */
export class ShapeError extends UnfoldError {
  /** The operation that refused the shapes. */
  readonly op: string;
  /** The shapes it was given, in argument order. */
  readonly shapes: readonly (readonly number[])[];
  constructor(op: string, detail: string, shapes: readonly (readonly number[])[]) {
    super('shape', `${op}: ${detail}: ${shapes.map(formatShape).join(' vs ')}`);
    this.op = op;
    this.shapes = shapes;
  }
}

/** Thrown when tensors of different dtypes meet in one operation. */
export class DTypeError extends UnfoldError {
  constructor(op: string, detail: string) {
    super('dtype', `${op}: ${detail}`);
  }
}

/** Thrown for a bad argument that is not a shape or dtype problem (a negative size, an unknown option...). */
export class ArgumentError extends UnfoldError {
  constructor(where: string, detail: string) {
    super('argument', `${where}: ${detail}`);
  }
}

/** Renders a shape the way error messages and logs print it: `[2,3]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
