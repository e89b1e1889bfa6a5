export { isGradEnabled, noGrad, enableGrad } from './grad-mode.js';
export { backward, type BackwardOptions } from './backward.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
