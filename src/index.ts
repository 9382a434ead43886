/**
 * maas-compress as a library: everything the CLI does, callable from code.
 */
export { McError, EXIT, isMcError, type McErrorCode } from './errors.js';
export * from './model/dtypes.js';
export { type ManifestEntry, type ManifestGroup, type ModelJson, type ModelFormat, type Quantization, type WeightsOnlyFields, parseModelJson, isWeightsManifestName } from './model/manifest.js';
export { type TensorValues, decodeEntry, encodeStrings, decodeStrings } from './model/decode.js';
export { toFloat16Bits, float16ToFloat32, float32ToFloat16, FLOAT16_MAX } from './model/float16.js';
export { loadModel, resolveModelPath, modelFormat, isWeightsOnly, type Model, type TensorInfo } from './model/load.js';
export { saveModel, shardNames, DEFAULT_SHARD_SIZE, RECORD_KEY, type SaveTensor, type ProducedTensor, type SaveOptions, type SaveResult, type RecordStep } from './model/save.js';
export { writeFileAtomic, writeFolderAtomic } from './model/atomic.js';
export { fileHandler, modelArtifacts } from './model/tfjs-io.js';
export { inspectModel, inspectOpened, type InspectReport, type InspectTensor } from './inspect.js';
export { tensorStats, type TensorStats } from './stats.js';
export { loadConfig, validateConfig, resolveModelArg, CONFIG_FILE, type Config } from './config.js';
export { copyModel, type CopyOptions } from './copy.js';
export { parseSize } from './units.js';
export * from './mcz/index.js';
export { mczLoader, mczArtifacts, mczWeights, weightsOf } from './loader.js';
export { compressModel, compressInMemory, type CompressResult, type CompressOptions } from './compress.js';
export * from './recipe.js';
export { QUANTIZERS, PRUNE_SCOPES } from './passes/registry.js';
export { buildReport, encodedSize, type ReportOptions, type ReportTimings } from './report/report.js';
export type { Report, ModelReport, Fidelity, Metrics, OutputMetrics, FileReport, Encoding, BrowserTiming, BrowserInfo } from './report/types.js';
export { defaultRecipes, type CandidateSpec } from './report/candidates.js';
export { NETWORKS, parseNetwork, transferTime } from './report/transfer.js';
export { measureInBrowser, type BrowserOptions, type BrowserSubject } from './report/browser/measure.js';
export { findChromium, CHROMIUM_ENV, CHROMIUM_PATHS } from './report/browser/chromium.js';
export { devtoolsConditions, devtoolsTransferTime, type DevtoolsConditions } from './report/browser/throttle.js';
export type { BrowserBackend } from './report/browser/assets.js';
export { readData, type Dataset } from './eval/data.js';
export { tuneModel, sensitivityOf, DEFAULT_MARGIN, type TuneOptions, type TuneResult, type SensitivityRunOptions, type Objective, type PlanRow } from './tune/tune.js';
export type { Sensitivity, TensorSensitivity, CandidateEffect, Damage } from './tune/sensitivity.js';
export { readRecipeFile, recipeFileFrom, recipeFileText, weightsFingerprint, RECIPE_FORMAT, RECIPE_VERSION, type RecipeFile } from './tune/recipe-file.js';
export { modelSizes, isContainerPath, type Sizes } from './size.js';
export { run, type CliIo } from './cli/index.js';
export { VERSION } from './version.js';
