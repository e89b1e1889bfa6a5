export { Optimizer, paramList, type OptimizerState, type ParamState, type ParamSource, type Hyperparameters, type Slot } from './optimizer.js';
export { SGD, SGD_DEFAULTS, type SGDConfig } from './sgd.js';
export { Adam, AdamW, ADAM_DEFAULTS, ADAMW_DEFAULTS, type AdamConfig } from './adam.js';
export { RMSprop, RMSPROP_DEFAULTS, type RMSpropConfig } from './rmsprop.js';
export { Adagrad, ADAGRAD_DEFAULTS, type AdagradConfig } from './adagrad.js';
export { clipGradNorm, clipGradValue, hasNonFinite } from './clip.js';
