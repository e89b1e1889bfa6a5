export {
  NTMCell, FeedForwardController, NTM_DEFAULTS,
  type NTMConfig, type ResolvedNTMConfig, type NTMControllerKind, type NTMMemoryInit, type NTMState, type NTMMemoryState,
  type NTMControllerStates, type FeedForwardState,
} from './ntm-cell.js';
export {
  contentWeighting, interpolate, shiftWeighting, sharpen, addressComposed, readMemory, writeComposed,
} from './addressing.js';
export { traceNtm, type NTMTrace } from './trace.js';
