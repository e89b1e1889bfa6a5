export { Module, parameter } from './module.js';
export { Linear, LINEAR_DEFAULTS, type LinearConfig } from './linear.js';
export { Embedding, EMBEDDING_DEFAULTS, type EmbeddingConfig } from './embedding.js';
export { Dropout, DROPOUT_DEFAULTS, type DropoutConfig } from './dropout.js';
// A namespace, as torch.nn.init: `init.zeros(t)` fills t and must not clash with the creation function `zeros`.
export * as init from './init.js';
export type { Fans, KaimingOptions } from './init.js';
