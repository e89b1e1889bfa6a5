// `unfold/node`: everything of `unfold` plus the file-system helpers, which need Node.js.
export * from './index.js';
export { saveModelFile, loadModelFile, writeFileAtomic } from './io/node.js';
