export { LanguageModel, LANGUAGE_MODEL_DEFAULTS, type LanguageModelConfig, type LanguageModelState } from './language-model.js';
export { sampleLogits, checkSamplingOptions, type SamplingOptions } from './sampling.js';
export { generate } from './generate.js';
