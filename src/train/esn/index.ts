// Echo state network tasks: data generators, the literature's protocols, model files.
export { mackeyGlass, narma, sines, type MackeyGlassOptions, type NarmaSeries, type SineComponent } from './data.js';
export {
  oneStepMackeyGlass, freeRunMackeyGlass, narma10, ECHOTORCH_NARMA10, READOUT_SOLVERS,
  type EsnPlotSeries, type EsnProtocolRun, type EsnTrialProgress, type ReservoirSettings, type OneStepSettings, type OneStepResult,
  type FreeRunSettings, type FreeRunResult, type NarmaSettings, type NarmaResult,
} from './protocols.js';
export { esnToModelFile, esnFromModelFile, ESN_FILE_FORMAT } from './model-file.js';
