/**
 * Choosing the tfjs backend for evaluation: wasm by default (10-20x faster than cpu for
 * dense and conv inference in Node), cpu as fallback, node when tfjs-node is installed.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { McError } from '../errors.js';

/** Backends evaluation can run on. */
export type BackendName = 'wasm' | 'cpu' | 'node';

/** Make `name` the active tfjs backend; returns the one in use. */
export async function useBackend(name: BackendName = 'wasm'): Promise<BackendName> {
  // PROD silences tfjs's console banners (e.g. the cpu backend's tfjs-node advert), which
  // would otherwise land in the middle of a report.
  tf.env().set('PROD', true);
  if (name === 'node') {
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      throw new McError('USAGE', '--backend node: @tensorflow/tfjs-node is not installed (it is optional); use wasm or cpu');
    }
    await tf.setBackend('tensorflow');
    return 'node';
  }
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) return 'wasm';
  }
  await tf.setBackend('cpu');
  return 'cpu';
}
