export { type Cell, type CellState, type StateValue, type StepResult, type BaseCellConfig, type StepKernel, type SequenceRunOptions, type SequenceRunResult, checkBaseConfig, checkStepInput } from './cell.js';
export { mapState, detachState, selectState, stateTensors } from './state.js';
export { RNNCell, type RNNCellConfig, type RNNState } from './rnn-cell.js';
export { LSTMCell, type LSTMCellConfig, type LSTMState } from './lstm-cell.js';
export { GRUCell, type GRUCellConfig, type GRUState } from './gru-cell.js';
export { LeakyCell, LEAKY_DEFAULTS, type LeakyCellConfig, type LeakyState } from './leaky-cell.js';
export { SkipCell, SKIP_DEFAULTS, type SkipCellConfig, type SkipState } from './skip-cell.js';
export { ClockworkCell, CLOCKWORK_DEFAULTS, type ClockworkCellConfig, type ClockworkState } from './clockwork-cell.js';
export {
  OutputFeedbackCell, OUTPUT_FEEDBACK_DEFAULTS, isFeedbackCell, type FeedbackCell, type OutputFeedbackCellConfig, type OutputFeedbackState,
} from './output-feedback-cell.js';
export {
  DeepTransitionCell, DEEP_TRANSITION_DEFAULTS, type DeepTransitionCellConfig, type DeepTransitionState, type TransitionLayer,
} from './deep-transition-cell.js';
export {
  ContextConditionedCell, CONTEXT_DEFAULTS, type ContextCellConfig, type ContextOptions, type ContextState, type ContextProjection,
} from './context-cell.js';
export { CELLS, CELL_KINDS, STANDALONE_CELL_KINDS, createCell, type CellConfigs, type CellKind, type CellSpec, type ContextInner } from './registry.js';
