/**
 * Conv inputs as patches: the Hessian LayerInputs folds from an activation must be over
 * the kernel's own input layout, so that for every output channel o, with k_o its kernel
 * flattened as the solvers read it, kₒᵀ H kₒ / 2 is the mean of yₒ² over all output
 * positions of tfjs's own convolution (stride, padding and dilation included).
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { SolvableLayer } from '../../src/eval/capture.js';
import { LayerInputs } from '../../src/solvers/patches.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CASES: Array<{ padding: 'same' | 'valid'; strides: [number, number]; dilations: [number, number] }> = [
  { padding: 'same', strides: [1, 1], dilations: [1, 1] },
  { padding: 'same', strides: [2, 2], dilations: [1, 1] },
  { padding: 'valid', strides: [2, 1], dilations: [1, 1] },
  { padding: 'same', strides: [1, 1], dilations: [2, 2] },
];

describe('conv patches', () => {
  for (const c of CASES) {
    it(`Conv2D ${c.padding}, strides ${c.strides}, dilations ${c.dilations}: kᵀHk / 2 is the mean squared output`, async () => {
      await tf.setBackend('cpu');
      const r = rng(3);
      const [b, h, w, cin, cout, kh, kw] = [2, 7, 6, 3, 4, 3, 2];
      const x = Float32Array.from({ length: b * h * w * cin }, () => r() * 2 - 1);
      const k = Float32Array.from({ length: kh * kw * cin * cout }, () => r() * 2 - 1);
      const y = tf.conv2d(tf.tensor4d(x, [b, h, w, cin]), tf.tensor4d(k, [kh, kw, cin, cout]), c.strides, c.padding, 'NHWC', c.dilations);
      const yv = await y.data();
      const layer: SolvableLayer = { kind: 'conv2d', kernel: 'k', bias: null, shape: [kh, kw, cin, cout], transposed: false, conv: c, where: 'k' };
      const acc = new LayerInputs(layer, b);
      acc.add(x, [b, h, w, cin]);
      const [{ h: H, count }] = acc.results();
      expect(count).toBe(yv.length / cout);
      const d = kh * kw * cin;
      for (let o = 0; o < cout; o++) {
        let q = 0;
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += k[i * cout + o] * H[i * d + j] * k[j * cout + o];
        let m = 0;
        for (let p = o; p < yv.length; p += cout) m += yv[p] * yv[p];
        expect(q / 2).toBeCloseTo(m / count, 5);
      }
    });
  }

  it('DepthwiseConv2D: one Hessian per channel, over its [h, w] patch', async () => {
    await tf.setBackend('cpu');
    const r = rng(4);
    const [b, h, w, cin, mult, kh, kw] = [2, 6, 6, 3, 2, 3, 3];
    const x = Float32Array.from({ length: b * h * w * cin }, () => r() * 2 - 1);
    const k = Float32Array.from({ length: kh * kw * cin * mult }, () => r() * 2 - 1);
    const y = tf.depthwiseConv2d(tf.tensor4d(x, [b, h, w, cin]), tf.tensor4d(k, [kh, kw, cin, mult]), [2, 2], 'same');
    const yv = await y.data();
    const conv = { padding: 'same' as const, strides: [2, 2] as [number, number], dilations: [1, 1] as [number, number] };
    const acc = new LayerInputs({ kind: 'depthwise', kernel: 'k', bias: null, shape: [kh, kw, cin, mult], transposed: false, conv, where: 'k' }, b);
    acc.add(x, [b, h, w, cin]);
    const res = acc.results();
    expect(res).toHaveLength(cin);
    const d = kh * kw;
    for (let ch = 0; ch < cin; ch++) {
      for (let m = 0; m < mult; m++) {
        const o = ch * mult + m;
        const kk = (p: number) => k[(p * cin + ch) * mult + m];
        let q = 0;
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += kk(i) * res[ch].h[i * d + j] * kk(j);
        let s = 0;
        for (let p = o; p < yv.length; p += cin * mult) s += yv[p] * yv[p];
        expect(q / 2).toBeCloseTo(s / res[ch].count, 5);
      }
    }
  });
});
