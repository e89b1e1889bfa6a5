let gradEnabled = true;

/** Whether operations currently record the graph needed by `backward`. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording operations: no graph is built, so nothing is kept alive
 * for a backward pass. Use it for inference, sampling and evaluation.
 *
 * @example
 * ```ts
 * import { noGrad, matmul } from 'unfold';
 * const y = noGrad(() => matmul(x, w)); // y.requiresGrad === false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Runs `fn` with recording switched on, even inside {@link noGrad}. */
export function enableGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}
