export {
  AdditiveAttention, DotAttention, GeneralAttention, ATTENTIONS, ATTENTION_KINDS, createAttention, sourceMask,
  type Attention, type AttentionConfig, type AttentionKind, type AttentionMemory, type AttentionResult, type AttentionSpec,
} from './attention.js';
export {
  Seq2Seq, SEQ2SEQ_DEFAULTS, SEQ2SEQ_TOKENS, FIRST_SYMBOL_ID, CONTEXT_MODES, sequenceLoss, padSequences,
  type Seq2SeqConfig, type ContextMode, type EncodedSource, type DecoderState, type DecoderStep, type TokenBatch,
  type Seq2SeqForwardOptions, type Seq2SeqForwardResult, type PadOptions,
} from './model.js';
export {
  greedyDecode, sampleDecode, beamSearch, lengthPenalty, singleSource, type DecodeOptions, type BeamSearchOptions, type Hypothesis,
} from './decode.js';
