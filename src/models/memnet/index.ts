export {
  MemN2N, MEMN2N_DEFAULTS, positionWeights, encodeSentences,
  type MemN2NConfig, type MemN2NInput, type MemN2NForwardOptions, type MemN2NResult, type WeightTying,
} from './memn2n.js';
