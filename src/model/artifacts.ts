/**
 * The one mapping from model.json fields to tfjs ModelArtifacts, shared by the file
 * handler (Node) and the .mcz loader (browser-safe: type-only imports).
 */
import type { io } from '@tensorflow/tfjs-core';
import { McError } from '../errors.js';
import type { ModelFields } from './manifest.js';

/** The error for asking a weights-only model (no topology) for a tfjs model: `source` names it, `instead` says what to use. */
export function noTopology(source: string, instead: string): McError {
  return new McError('UNSUPPORTED', `${source}: a weights-only manifest has no model topology, so tf.loadLayersModel / tf.loadGraphModel cannot build a model from it; ${instead}`);
}

/** ModelArtifacts from model.json's fields (weightsManifest aside), weight specs and one weight buffer. */
export function toArtifacts(
  j: ModelFields,
  format: string,
  weightSpecs: io.WeightsManifestEntry[],
  weightData: ArrayBuffer,
): io.ModelArtifacts {
  return {
    modelTopology: j.modelTopology as io.ModelArtifacts['modelTopology'],
    format: j.format ?? format,
    generatedBy: j.generatedBy,
    convertedBy: j.convertedBy ?? null,
    signature: j.signature as object | undefined,
    userDefinedMetadata: j.userDefinedMetadata as io.ModelArtifacts['userDefinedMetadata'],
    modelInitializer: j.modelInitializer as object | undefined,
    trainingConfig: j.trainingConfig as io.TrainingConfig | undefined,
    weightSpecs,
    weightData,
  };
}
