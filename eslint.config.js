// ESLint flat config. Layering (which folder may import which) is checked by
// dependency-cruiser (.dependency-cruiser.cjs); this file covers code quality and the
// "library core runs in a browser" rule, which is about globals, not imports.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Files that may use Node: the CLI, file I/O, benchmarks, tests and their helpers.
const nodeOnly = ['src/cli/**', 'src/io/**', 'src/bench/**', 'src/**/*.test.ts', 'src/test-support/**'];

// Node-only globals. Browser-safe ones (setTimeout, console, TextDecoder, URL...) stay allowed.
const nodeGlobals = ['process', 'Buffer', '__dirname', '__filename', 'require', 'module', 'exports', 'global', 'setImmediate', 'clearImmediate'];

// The same names, declared for plain .js/.mjs tooling scripts where `no-undef` is on.
const nodeScriptGlobals = Object.fromEntries(
  [...nodeGlobals, 'console', 'URL', 'TextEncoder', 'TextDecoder', 'setTimeout', 'clearTimeout', 'WebAssembly', 'performance'].map((name) => [name, 'readonly']),
);

export default defineConfig([
  globalIgnores([
    'dist/',
    'node_modules/',
    'build/',
    'coverage/',
    // Scratch output, as in .gitignore.
    '.tmp/',
    'runs/',
    'out/',
    'src/kernels/wasm/*.generated.ts',
    // AssemblyScript: TypeScript syntax with its own types (i32, f32, v128), not checkable here.
    'assembly/',
  ]),

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: nodeScriptGlobals },
  },

  // Type-aware rules only for src/, which tsconfig.json covers in full; these few catch
  // real bugs (a forgotten await, an unhandled switch case) and cost one program build.
  {
    files: ['src/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },

  {
    rules: {
      // `_name` marks an argument a signature needs but the body does not.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always'],
      // `let [i, f, g, o] = ...` where only some are reassigned cannot be split into const and let.
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },

  // The library core must run in a browser: no Node globals and no Node modules.
  {
    files: ['src/**/*.ts'],
    ignores: nodeOnly,
    rules: {
      'no-restricted-globals': [
        'error',
        ...nodeGlobals.map((name) => ({
          name,
          message: `'${name}' is Node-only; the library core must also run in a browser (use it in src/cli or src/io, or take it as a parameter).`,
        })),
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(node:.*|fs|fs/promises|path|os|url|util|crypto|child_process|worker_threads|stream|events|buffer|module|zlib|http|https|net|readline|process|perf_hooks)$',
              message: 'Node modules are not allowed in the library core, which must also run in a browser.',
            },
          ],
        },
      ],
    },
  },
]);
