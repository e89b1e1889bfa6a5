export { ModelFileError, MAX_HEADER_BYTES, encodeModelFile, decodeModelFile, type ModelFileContents } from './safetensors.js';
export { loadParameters, parameterTensors } from './parameters.js';
