export { scan, checkSequence, lengthMasks, type ScanOptions, type ScanResult } from './scan.js';
