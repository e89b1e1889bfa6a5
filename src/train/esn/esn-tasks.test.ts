import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelFileError, decodeModelFile, encodeModelFile } from '../../io/index.js';
import { EchoStateNetwork } from '../../models/esn/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import { mackeyGlass, narma, sines } from './data.js';
import { esnFromModelFile, esnToModelFile } from './model-file.js';
import { ECHOTORCH_NARMA10, freeRunMackeyGlass, narma10, oneStepMackeyGlass } from './protocols.js';

function column(values: ArrayLike<number>): Tensor {
  return new Tensor(Float64Array.from(values), [values.length, 1]);
}

describe('data generators', () => {
  test('Mackey-Glass: x(0) = 1.2, the tau = 17 attractor range, fourth-order convergence in the step', () => {
    const coarse = mackeyGlass({ length: 300, step: 0.1 });
    const half = mackeyGlass({ length: 300, step: 0.05 });
    const quarter = mackeyGlass({ length: 300, step: 0.025 });
    assert.equal(coarse[0], 1.2);
    let e1 = 0;
    let e2 = 0;
    for (let i = 0; i < 300; i++) {
      e1 = Math.max(e1, Math.abs((coarse[i] as number) - (quarter[i] as number)));
      e2 = Math.max(e2, Math.abs((half[i] as number) - (quarter[i] as number)));
    }
    // Error ~ C h^4: (0.1^4 - 0.025^4) / (0.05^4 - 0.025^4) = 17.
    assert.ok(e1 < 1e-8 && e1 / e2 > 12 && e1 / e2 < 22, `errors ${e1} and ${e2}`);
    const long = mackeyGlass({ length: 2000 });
    assert.ok(Math.min(...long) > 0.35 && Math.max(...long) < 1.4);
    assert.deepEqual(mackeyGlass({ length: 5, discard: 3 }), long.subarray(3, 8));
    assert.throws(() => mackeyGlass({ length: 10, step: 0.3 }), /whole multiples of the step/);
  });

  test('NARMA-10 follows its recursion; sines sum their components', () => {
    const { input: u, target } = narma(300, new Rng(4));
    assert.ok(u.every((v) => v >= 0 && v < 0.5));
    // y(t+1) = target[t]; y(t) = target[t-1].
    for (const t of [50, 120, 299]) {
      let sum = 0;
      for (let i = 0; i < 10; i++) sum += target[t - 1 - i] as number;
      const y = target[t - 1] as number;
      const expected = 0.3 * y + 0.05 * y * sum + 1.5 * (u[t - 9] as number) * (u[t] as number) + 0.1;
      assert.ok(Math.abs((target[t] as number) - expected) < 1e-15);
    }
    const s = sines(4, [{ frequency: Math.PI / 2 }, { frequency: Math.PI, amplitude: 2, phase: Math.PI / 2 }]);
    // sin(pi t / 2) + 2 cos(pi t) at t = 0..3.
    [2, -1, 2, -3].forEach((v, t) => assert.ok(Math.abs((s[t] as number) - v) < 1e-12));
    const normalised = sines(100, [{ frequency: 0.2 }, { frequency: 0.311 }], true);
    assert.ok(Math.abs(Math.min(...normalised) + 1) < 1e-12 && Math.abs(Math.max(...normalised) - 1) < 1e-12);
  });
});

describe('protocols', () => {
  test('one-step Mackey-Glass, reservoirpy\'s quick-start protocol (100 units, sr 1.25, leak 0.3, ridge 1e-5): RMSE <= 0.0020', () => {
    const { result, plot } = oneStepMackeyGlass({ trials: 2 });
    assert.equal(result.rmseByTrial.length, 2);
    for (const rmse of result.rmseByTrial) assert.ok(rmse <= 0.002, `test RMSE ${rmse}`);
    assert.equal(plot.length, 2);
    assert.equal(plot[0]?.y.length, 400);
  });

  test('free-run-84 protocol, shortened (100 units, 2 trials): finite NRMSE84 and its log10, one figure per trial', () => {
    // Connectivity 5 %: at 1 % a 100-unit W has about one weight per row and the free run drifts off.
    const { result, plot } = freeRunMackeyGlass({ units: 100, trials: 2, connectivity: 0.05, trainLength: 1500, washout: 300, teacherLength: 300, plotHorizon: 84 });
    assert.equal(result.protocol, 'free-run-84');
    assert.ok(Number.isFinite(result.nrmse84) && result.nrmse84 > 0, `nrmse84 ${result.nrmse84}`);
    assert.equal(result.log10Nrmse84, Math.log10(result.nrmse84));
    assert.equal(result.log10ErrorByTrial.length, 2);
    assert.ok(result.log10ErrorByTrial.every(Number.isFinite));
    // NRMSE84^2 is the mean over trials of (error / sigma)^2.
    const meanSquare = result.log10ErrorByTrial.reduce((s, l) => s + 10 ** (2 * l), 0) / 2;
    assert.ok(Math.abs(result.nrmse84 ** 2 / meanSquare - 1) < 1e-9);
    assert.ok(result.log10Nrmse84 < -1, `log10 NRMSE84 ${result.log10Nrmse84}: the free run should track for 84 steps`);
    assert.equal(plot[1]?.y.length, 84);
  });

  test('NARMA-10 (50 units, short series): test NRMSE well below 1, the score of predicting the mean', () => {
    for (const seed of [0, 1]) {
      const { result } = narma10({ units: 50, seed, trainLength: 1000, testLength: 500, washout: 100 });
      assert.ok(result.nrmse < 0.6, `seed ${seed}: NRMSE ${result.nrmse}`);
      assert.ok(Math.abs(result.nmse - result.nrmse ** 2) < 1e-12, 'one trial: NMSE = NRMSE^2');
    }
  });

  test('NARMA-10 with echotorch: EchoTorch\'s hyperparameters, reservoir and readout; its test series of its own, y(0..9) = 0', () => {
    const { result, model, plot } = narma10({ echotorch: true, units: 40, trainLength: 800, testLength: 300 });
    assert.equal(result.echotorch, true);
    assert.ok(result.nrmse < 0.9, `NRMSE ${result.nrmse}`);
    const c = model.reservoir.config;
    const e = ECHOTORCH_NARMA10;
    assert.deepEqual(
      [c.spectralRadius, c.leak, c.connectivity, c.inputScaling, c.biasScaling, model.config.ridge],
      [e.spectralRadius, e.leak, e.connectivity, e.inputScaling, e.biasScaling, e.ridge],
    );
    assert.deepEqual([c.inputWeights, c.inputConnectivity, c.biasWeights, c.biasConnectivity], ['normal', e.connectivity, 'normal', e.connectivity]);
    assert.equal(model.config.readoutInput, false);
    const truth = plot[0]?.y ?? [];
    assert.equal(plot[0]?.x[0], 0);
    assert.deepEqual(truth.slice(0, 10), new Array(10).fill(0));
    // y(10) = 1.5 u(0) u(9) + 0.1 with u in [0, 0.5).
    assert.ok((truth[10] as number) >= 0.1 && (truth[10] as number) < 0.475, `y(10) = ${truth[10]}`);
    assert.equal(narma10({ units: 20, trainLength: 300, testLength: 100, washout: 50 }).result.echotorch, false);
  });
});

describe('model files', () => {
  const wave = Float64Array.from({ length: 700 }, (_, t) => 0.5 * Math.sin(0.25 * t));
  const make = (): EchoStateNetwork => {
    const esn = new EchoStateNetwork({
      reservoir: { units: 50, inputSize: 1, feedbackSize: 1, spectralRadius: 0.9, leak: 0.7, feedbackConnectivity: 1, seed: 3 },
      outputSize: 1, ridge: 1e-8,
    });
    esn.fit(column(wave.subarray(0, 500)), column(wave.subarray(1, 501)), { washout: 50 });
    return esn;
  };

  test('save and load round trip: identical weights and bit-identical predictions', () => {
    const esn = make();
    const loaded = esnFromModelFile(decodeModelFile(encodeModelFile(esnToModelFile(esn))));
    assert.deepEqual(loaded.config, esn.config);
    assert.deepEqual(loaded.reservoir.w, esn.reservoir.w);
    esn.reset();
    const inputs = column(wave.subarray(500, 600));
    const teacher = column(wave.subarray(501, 601));
    const a = esn.predict(inputs, { teacher }).data;
    const b = loaded.predict(inputs, { teacher }).data;
    assert.ok(a.every((v, i) => Object.is(v, b[i])));
    assert.deepEqual(loaded.generate(50, { inputs: column(wave.subarray(600, 650)) }).data, esn.generate(50, { inputs: column(wave.subarray(600, 650)) }).data);
  });

  test('a file that is not a valid ESN is refused with a ModelFileError', () => {
    const contents = esnToModelFile(make());
    const tamper = (name: string, change: (data: Float64Array) => void): void => {
      const tensors = new Map(contents.tensors);
      const t = tensors.get(name) as Tensor;
      const data = Float64Array.from(t.data);
      change(data);
      tensors.set(name, new Tensor(data, t.shape));
      assert.throws(() => esnFromModelFile({ tensors, metadata: contents.metadata }), ModelFileError, name);
    };
    tamper('reservoir.w.columns', (d) => (d[0] = 50));
    tamper('reservoir.w.columns', (d) => (d[0] = 0.5));
    tamper('reservoir.w.rowStart', (d) => (d[3] = (d[2] as number) - 1));
    tamper('readout.weight', (d) => (d[0] = Number.NaN));
    assert.throws(() => esnFromModelFile({ tensors: contents.tensors, metadata: { ...contents.metadata, format: 'other' } }), ModelFileError);
    assert.throws(() => esnFromModelFile({ tensors: contents.tensors, metadata: { ...contents.metadata, config: '{' } }), ModelFileError);
    const leaky = JSON.parse(contents.metadata['config'] as string) as { reservoir: { leak: number } };
    leaky.reservoir.leak = 2;
    assert.throws(() => esnFromModelFile({ tensors: contents.tensors, metadata: { ...contents.metadata, config: JSON.stringify(leaky) } }), /leak must be in/);
    const missing = new Map(contents.tensors);
    missing.delete('reservoir.bias');
    assert.throws(() => esnFromModelFile({ tensors: missing, metadata: contents.metadata }), /'reservoir.bias' is missing/);
  });
});
