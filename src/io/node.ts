// File-system entry points: kept out of io/index.ts so the browser-safe surface never imports node:fs.
export { saveModelFile, loadModelFile, writeFileAtomic } from './model-file.js';
