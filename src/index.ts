/**
 * maas-compress as a library: everything the CLI does, callable from code.
 */
export { McError, EXIT, isMcError, type McErrorCode } from './errors.js';
export * from './model/dtypes.js';
export { type ManifestEntry, type ManifestGroup, type ModelJson, type ModelFormat, type Quantization, parseModelJson } from './model/manifest.js';
export { type TensorValues, decodeEntry, encodeStrings, decodeStrings } from './model/decode.js';
export { toFloat16Bits, float16ToFloat32, float32ToFloat16, FLOAT16_MAX } from './model/float16.js';
export { loadModel, resolveModelPath, type Model, type TensorInfo } from './model/load.js';
export { saveModel, shardNames, DEFAULT_SHARD_SIZE, RECORD_KEY, type SaveTensor, type ProducedTensor, type SaveOptions, type SaveResult, type RecordStep } from './model/save.js';
export { writeFileAtomic, writeFolderAtomic } from './model/atomic.js';
export { fileHandler, modelArtifacts } from './model/tfjs-io.js';
export { inspectModel, inspectOpened, type InspectReport, type InspectTensor } from './inspect.js';
export { tensorStats, type TensorStats } from './stats.js';
export { loadConfig, validateConfig, resolveModelArg, CONFIG_FILE, type Config } from './config.js';
export { copyModel, type CopyOptions } from './copy.js';
export { parseSize } from './units.js';
export * from './mcz/index.js';
export { mczLoader, mczArtifacts } from './loader.js';
export { compressModel, compressInMemory, type CompressResult, type CompressOptions } from './compress.js';
export * from './recipe.js';
export { QUANTIZERS, PRUNE_SCOPES } from './passes/registry.js';
export { buildReport, type Report, type ReportOptions, type ModelReport } from './report/report.js';
export { NETWORKS, parseNetwork, transferTime } from './report/transfer.js';
export { readData, type Dataset } from './eval/data.js';
export { modelSizes, isContainerPath, type Sizes } from './size.js';
export { run, type CliIo } from './cli/index.js';
export { VERSION } from './version.js';
