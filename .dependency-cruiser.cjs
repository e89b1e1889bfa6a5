// Enforces the layering of DESIGN.md ("imports point right only"):
//
//   cli -> bench -> train -> models -> sequence | tree -> cells -> nn -> ops -> autograd -> tensor
//                       \-> optim -> nn, ops, autograd, kernels, tensor
//                       \-> io    -> nn, tensor
//   kernels -> tensor (types, plus its error classes): typed arrays in and out, no Tensor objects
//
// A folder may import itself and the folders listed for it below; anything else is a
// violation. The table is the single place to change when the architecture changes.
// Tests (*.test.ts) may import any library layer; see testRules.
// Run: npm run check:layers

/** For each layer folder under src/, the other layer folders it may import. */
const allowed = {
  tensor: [],
  kernels: ['tensor'],
  autograd: ['kernels', 'tensor'],
  ops: ['autograd', 'kernels', 'tensor'],
  nn: ['ops', 'autograd', 'kernels', 'tensor'],
  optim: ['nn', 'ops', 'autograd', 'kernels', 'tensor'],
  // Model files hold named parameters (nn's Module) and raw tensor data; nothing above.
  io: ['nn', 'tensor'],
  cells: ['nn', 'ops', 'autograd', 'kernels', 'tensor'],
  // Siblings: neither knows the other, so a tree model never drags in scan and vice versa.
  sequence: ['cells', 'nn', 'ops', 'autograd', 'kernels', 'tensor'],
  tree: ['cells', 'nn', 'ops', 'autograd', 'kernels', 'tensor'],
  models: ['sequence', 'tree', 'cells', 'nn', 'ops', 'autograd', 'kernels', 'tensor'],
  train: ['models', 'optim', 'io', 'sequence', 'tree', 'cells', 'nn', 'ops', 'autograd', 'kernels', 'tensor'],
  bench: ['train', 'models', 'optim', 'io', 'sequence', 'tree', 'cells', 'nn', 'ops', 'autograd', 'kernels', 'tensor'],
  // The CLI lazily imports bench/main.js for `unfold bench`.
  cli: ['bench', 'train', 'models', 'optim', 'io', 'sequence', 'tree', 'cells', 'nn', 'ops', 'autograd', 'kernels', 'tensor'],
};

const layerNames = Object.keys(allowed);
/** The library proper: what src/index.ts may re-export. */
const libraryLayers = layerNames.filter((name) => name !== 'cli' && name !== 'bench');
/** Layers that must run in a browser: no Node builtins. */
const coreLayers = libraryLayers.filter((name) => name !== 'io');

const TEST = '\\.test\\.ts$';
const TEST_SUPPORT = '^src/test-support/';
const any = (names) => `^src/(${names.join('|')})/`;

/** One rule per layer: from that folder (tests included) to any src/ file outside its allowance. */
const layerRules = layerNames.map((layer) => ({
  name: `layer-${layer}`,
  comment:
    `src/${layer}/ may import only ${[layer, ...allowed[layer]].map((n) => `src/${n}/`).join(', ')}. ` +
    'See DESIGN.md, "Layers".',
  severity: 'error',
  // Tests have their own, wider rules below.
  from: { path: `^src/${layer}/`, pathNot: [TEST] },
  to: { path: '^src/', pathNot: [any([layer, ...allowed[layer]])] },
}));

// Tests are not part of the shipped import graph (nothing imports them), so they may reach
// UP the layers: DESIGN.md puts a cell's scan-equivalence test beside the cell, and that
// test needs sequence/scan. They still keep out of the CLI and benchmarks, whose tests
// live in their own folders.
const testRules = [
  {
    name: 'tests-not-to-cli',
    comment: 'Only tests in src/cli/ import the CLI.',
    severity: 'error',
    from: { path: TEST, pathNot: ['^src/cli/'] },
    to: { path: '^src/cli/' },
  },
  {
    name: 'tests-not-to-bench',
    comment: 'Only tests in src/bench/ and src/cli/ import the benchmarks.',
    severity: 'error',
    from: { path: TEST, pathNot: ['^src/(cli|bench)/'] },
    to: { path: '^src/bench/' },
  },
];

module.exports = {
  forbidden: [
    ...layerRules,
    ...testRules,

    {
      name: 'kernels-no-tensor-objects',
      comment:
        'kernels/ works on typed arrays only: from tensor/ it may import types, and the error classes ' +
        '(src/tensor/errors.ts) to reject bad arguments. Value imports of the tensor barrel pull in Tensor.',
      severity: 'error',
      from: { path: '^src/kernels/', pathNot: [TEST] },
      to: { path: '^src/tensor/', pathNot: ['^src/tensor/errors\\.ts$'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'public-surface',
      comment: 'src/index.ts re-exports the library layers only: not the CLI, benchmarks or test helpers.',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/', pathNot: [any(libraryLayers)] },
    },
    {
      name: 'no-import-of-public-surface',
      comment:
        'Library code imports the layer it needs, never src/index.ts (that would make everything depend on ' +
        'everything, and cycles). The CLI, benchmarks and tests may use it like a user would.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(cli|bench|test-support)/', '^src/node\\.ts$', TEST] },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'test-support',
      comment: 'Shared test helpers may use the library and Node, but not the CLI or benchmarks.',
      severity: 'error',
      from: { path: TEST_SUPPORT },
      to: { path: '^src/', pathNot: [any(libraryLayers), TEST_SUPPORT, '^src/index\\.ts$'] },
    },
    {
      name: 'only-test-files-use-test-support',
      comment: 'src/test-support/ is not shipped (see package.json "files"), so only tests may import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: [TEST, TEST_SUPPORT] },
      to: { path: TEST_SUPPORT },
    },
    {
      name: 'no-imports-of-tests',
      comment: 'Nothing imports a test file; shared test code belongs in src/test-support/.',
      severity: 'error',
      from: {},
      to: { path: TEST },
    },
    {
      name: 'known-layer',
      comment: `Every source file lives in a layer folder (${layerNames.join(', ')}), src/test-support/, or is one of the entry points src/index.ts (browser-safe) and src/node.ts (adds file I/O). A new folder needs a row in .dependency-cruiser.cjs.`,
      severity: 'error',
      from: { path: '^src/', pathNot: [any(layerNames), TEST_SUPPORT, '^src/(index|node)\\.ts$'] },
      to: {},
    },

    {
      name: 'core-no-node',
      comment:
        `The library core (${coreLayers.join(', ')}) must run in a browser: no Node builtins (node:fs, path, ...). ` +
        'File access belongs in src/io/ or src/cli/.',
      severity: 'error',
      from: { path: any(coreLayers), pathNot: [TEST] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shipped-code-no-dev-dependencies',
      comment:
        'Code that ships (everything but tests and test helpers) may not import devDependencies: they are absent ' +
        'when unfold is installed. Benchmarks compare against dev-only peers (tfjs, brain.js) and are exempt.',
      severity: 'error',
      from: { path: '^src/', pathNot: [TEST, TEST_SUPPORT, '^src/bench/'] },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },

    {
      name: 'no-circular',
      comment: 'Import cycles make load order matter and hide layering mistakes; break the cycle by moving the shared part down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve to a file or an installed package (typo, or a missing dependency).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      comment: 'An npm package imported without being declared in package.json: works here by accident only.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],

  options: {
    doNotFollow: { path: 'node_modules' },
    // Count `import type` too: a type-only edge that breaks the layering is still a design error.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
