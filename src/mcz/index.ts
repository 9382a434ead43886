/** The packed .mcz container: writing, reading, unpacking (docs/format.md). */

/** Writing: streamed to a file, or in memory; per-tensor stats and the entropy-bound ratio. */
export { writeMcz, encodeMcz, mczChunks, measureTensor, entropyRatio, type MczTensor, type MczStats, type MczTensorStats, type MczWriteOptions } from './write.js';
/** Reading (browser-safe): validate everything up front, decode per tensor. */
export { parseMcz, type McZModel, type McZTensorInfo, type StoredTensor, type McZModelJson } from './read.js';
/** Reading a file in place, any size (Node). */
export { openMcz, type McZFile } from './file.js';
/** Unpacking to a stock tfjs folder (Node). */
export { unpackMcz, readMcz, MAX_MCZ_BYTES, type UnpackOptions, type UnpackResult } from './unpack.js';
/** The newest format version read and written, and the version a model's form is written in. */
export { FORMAT_VERSION, versionFor } from './format.js';
/** int8 values as the pass decodes them (see int8Decode). */
export { int8Decode as int8Values } from '../passes/int8.js';
