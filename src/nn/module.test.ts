import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { mul, sum, tanh } from '../ops/index.js';
import { Rng, Tensor, ones, randn, zeros } from '../tensor/index.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import { Module, parameter } from './module.js';

class Block extends Module {
  readonly weightIh: Tensor; // [4, 3]
  readonly biasIh: Tensor; // [4]
  readonly drop: Dropout;
  constructor(rng: Rng) {
    super();
    this.weightIh = parameter(randn([4, 3], rng));
    this.biasIh = parameter(zeros([4]));
    this.drop = new Dropout({ p: 0.1, rng: rng.fork() });
  }
}

class Encoder extends Module {
  readonly embedding: Embedding;
  readonly layers: Block[];
  constructor(rng: Rng) {
    super();
    this.embedding = new Embedding({ numEmbeddings: 5, embeddingDim: 3, rng });
    this.layers = [new Block(rng), new Block(rng)];
  }
}

class Model extends Module {
  readonly encoder: Encoder;
  readonly heads: Map<string, Linear>;
  readonly extra: { readonly scale: Tensor; readonly notAParam: Tensor };
  readonly rng: Rng;
  frozen: Tensor;
  parent: Model | null = null;
  constructor() {
    super();
    this.rng = new Rng(0);
    this.encoder = new Encoder(this.rng);
    this.heads = new Map([
      ['tag', new Linear({ inFeatures: 4, outFeatures: 2, rng: this.rng })],
      ['value', new Linear({ inFeatures: 4, outFeatures: 1, bias: false, rng: this.rng })],
    ]);
    this.extra = { scale: parameter(ones([1])), notAParam: ones([1]) };
    this.frozen = zeros([2]);
    this.parent = this; // a cycle
  }
}

test('namedParameters: dotted names in field order through modules, arrays, Maps and plain objects', () => {
  const m = new Model();
  assert.deepEqual([...m.namedParameters().keys()], [
    'encoder.embedding.weight',
    'encoder.layers.0.weightIh',
    'encoder.layers.0.biasIh',
    'encoder.layers.1.weightIh',
    'encoder.layers.1.biasIh',
    'heads.tag.weight',
    'heads.tag.bias',
    'heads.value.weight',
    'extra.scale',
  ]);
  assert.equal(m.parameters().length, 9);
  assert.equal(m.numParameters(), 15 + 2 * (12 + 4) + (8 + 2) + 4 + 1);
  // Same class, same names and shapes: checkpoint keys are stable.
  const shapes = (x: Model): string[] => [...x.namedParameters()].map(([k, p]) => `${k}:${p.shape.join('x')}`);
  assert.deepEqual(shapes(new Model()), shapes(m));
});

test('a non-leaf tensor held in a field (a cached state still in the graph) is not a parameter', () => {
  const m = new Model();
  m.frozen = tanh(m.encoder.layers[0]?.biasIh as Tensor);
  assert.equal(m.frozen.requiresGrad, true);
  assert.equal(m.parameters().includes(m.frozen), false);
});

test('shared modules and tensors (tied weights) are listed once, under the first name', () => {
  class Tied extends Module {
    readonly a: Linear;
    readonly b: Linear;
    readonly w: Tensor;
    constructor() {
      super();
      this.a = new Linear({ inFeatures: 2, outFeatures: 2, rng: new Rng(1) });
      this.b = this.a;
      this.w = this.a.weight;
    }
  }
  const t = new Tied();
  assert.deepEqual([...t.namedParameters().keys()], ['a.weight', 'a.bias']);
  assert.equal(t.numParameters(), 6);
});

test('train() / eval() propagate to every sub-module', () => {
  const m = new Model();
  const modules = [...m.namedModules()];
  assert.deepEqual(modules.map(([k]) => k), [
    '', 'encoder', 'encoder.embedding', 'encoder.layers.0', 'encoder.layers.0.drop',
    'encoder.layers.1', 'encoder.layers.1.drop', 'heads.tag', 'heads.value',
  ]);
  assert.ok(modules.every(([, x]) => x.training));
  assert.equal(m.eval(), m);
  assert.ok(modules.every(([, x]) => !x.training));
  m.train();
  assert.ok(modules.every(([, x]) => x.training));
  m.encoder.layers[1]?.eval();
  assert.equal(m.encoder.layers[1]?.drop.training, false);
  assert.equal(m.encoder.layers[0]?.drop.training, true);
});

test('zeroGrad drops gradients, or zero-fills them in place', () => {
  const layer = new Linear({ inFeatures: 3, outFeatures: 2, rng: new Rng(0) });
  const x = randn([4, 3], new Rng(1));
  backward(sum(mul(layer.forward(x), 2)));
  assert.ok(layer.weight.grad !== null && layer.bias?.grad !== null);
  const buffer = layer.weight.grad;
  layer.zeroGrad(false);
  assert.equal(layer.weight.grad, buffer);
  assert.deepEqual([...buffer.data], [0, 0, 0, 0, 0, 0]);
  layer.zeroGrad();
  assert.equal(layer.weight.grad, null);
  assert.equal(layer.bias?.grad, null);
});

test('an op output stored in a field is not a parameter, before or after backward', () => {
  class Holder extends Module {
    readonly w = parameter(zeros([2]));
    readonly h = tanh(this.w);
  }
  const m = new Holder();
  assert.deepEqual([...m.namedParameters().keys()], ['w']);
  backward(sum(m.h));
  assert.deepEqual([...m.namedParameters().keys()], ['w']);
});
