import { where } from '../ops/index.js';
import type { Tensor } from '../tensor/index.js';
import type { CellState, StateValue } from './cell.js';

function mapValue(v: StateValue, f: (t: Tensor) => Tensor): StateValue {
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) return (v as readonly Tensor[]).map(f);
  return f(v as Tensor);
}

/** Applies `f` to every tensor of a state (numbers pass through). @example `mapState(s, (t) => t.detach())` */
export function mapState<S extends CellState>(state: S, f: (t: Tensor) => Tensor): S {
  const out: Record<string, StateValue> = {};
  for (const [k, v] of Object.entries(state)) out[k] = mapValue(v, f);
  return out as S;
}

/** A state cut from the graph: gradients stop here (truncated BPTT, streaming). */
export function detachState<S extends CellState>(state: S): S {
  return mapState(state, (t) => t.detach());
}

/**
 * Per-example choice between two states: where keep[b] is 1 take `next`, else `previous`.
 * keep is [B, 1] and broadcasts over features. Numbers (step counters) come from `next`.
 */
export function selectState<S extends CellState>(keep: Tensor, next: S, previous: S): S {
  const out: Record<string, StateValue> = {};
  for (const [k, v] of Object.entries(next)) {
    const p = previous[k] as StateValue;
    if (typeof v === 'number') out[k] = v;
    else if (Array.isArray(v)) out[k] = (v as readonly Tensor[]).map((t, i) => where(keep, t, (p as readonly Tensor[])[i] as Tensor));
    else out[k] = where(keep, v as Tensor, p as Tensor);
  }
  return out as S;
}

/** Every tensor in a state, in key order (for gradient checks and tests). */
export function stateTensors(state: CellState): Tensor[] {
  const out: Tensor[] = [];
  for (const v of Object.values(state)) {
    if (typeof v === 'number') continue;
    if (Array.isArray(v)) out.push(...(v as readonly Tensor[]));
    else out.push(v as Tensor);
  }
  return out;
}
