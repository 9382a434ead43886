import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outputChannelAxis } from '../../src/passes/axis.js';

const layer = (class_name: string, name: string, extra: Record<string, unknown> = {}) => ({ class_name, config: { name, ...extra } });

/** A layers-model topology as tfjs writes it: model_config, a Functional model, a nested Sequential and wrappers. */
const layersTopology = {
  class_name: 'Functional',
  keras_version: '2.15.0',
  model_config: {
    class_name: 'Functional',
    config: {
      name: 'model',
      layers: [
        layer('InputLayer', 'input_1'),
        layer('Dense', 'dense'),
        layer('Conv1D', 'conv1d'),
        layer('Conv2D', 'conv2d'),
        layer('Conv3D', 'conv3d'),
        layer('DepthwiseConv2D', 'dw'),
        layer('SeparableConv2D', 'sep'),
        layer('Conv2DTranspose', 'deconv'),
        layer('Conv3DTranspose', 'deconv3d'),
        layer('Conv1DTranspose', 'deconv1d'),
        layer('Embedding', 'emb'),
        layer('LSTM', 'lstm'),
        layer('GRU', 'gru'),
        layer('SimpleRNN', 'rnn'),
        layer('BatchNormalization', 'bn'),
        layer('Convolution2D', 'old_conv'),
        layer('TimeDistributed', 'td', { layer: layer('Embedding', 'inner_emb') }),
        layer('Bidirectional', 'bidi', { layer: layer('LSTM', 'bidi_lstm') }),
        layer('Sequential', 'block', { layers: [layer('Conv2DTranspose', 'block_deconv'), layer('Dense', 'block_dense')] }),
      ],
    },
  },
};

const L = (name: string, shape: number[]) => outputChannelAxis(name, shape, layersTopology, 'layers-model');

describe('outputChannelAxis, layers models', () => {
  it('follows the rule per layer class and weight', () => {
    expect(L('dense/kernel', [784, 128])).toBe(1);
    expect(L('dense/bias', [128])).toBeNull();
    expect(L('conv1d/kernel', [5, 3, 16])).toBe(2);
    expect(L('conv2d/kernel', [3, 3, 1, 8])).toBe(3);
    expect(L('conv3d/kernel', [3, 3, 3, 1, 8])).toBe(4);
    expect(L('dw/depthwise_kernel', [3, 3, 8, 2])).toBe(2);
    expect(L('sep/depthwise_kernel', [3, 3, 8, 1])).toBe(2);
    expect(L('sep/pointwise_kernel', [1, 1, 8, 16])).toBe(3);
    expect(L('deconv/kernel', [3, 3, 4, 8])).toBe(2); // [h, w, out, in]
    expect(L('deconv3d/kernel', [3, 3, 3, 4, 8])).toBe(3);
    expect(L('deconv1d/kernel', [3, 4, 8])).toBe(1);
    expect(L('emb/embeddings', [1000, 64])).toBe(0);
    expect(L('lstm/kernel', [8, 64])).toBe(1);
    expect(L('lstm/recurrent_kernel', [16, 64])).toBe(1);
    expect(L('gru/kernel', [8, 48])).toBe(1);
    expect(L('rnn/recurrent_kernel', [16, 16])).toBe(1);
    expect(L('bn/gamma', [16])).toBeNull();
    expect(L('old_conv/kernel', [3, 3, 1, 8])).toBe(3);
  });

  it('finds layers in nested models and wrappers, and tolerates Keras name forms', () => {
    expect(L('td/embeddings', [50, 8])).toBe(0); // TimeDistributed(Embedding)
    expect(L('bidi/forward_lstm/lstm_cell/kernel', [8, 64])).toBe(1);
    expect(L('block/block_deconv/kernel', [3, 3, 4, 8])).toBe(2);
    expect(L('block_deconv/kernel', [3, 3, 4, 8])).toBe(2);
    expect(L('lstm/lstm_cell/kernel:0', [8, 64])).toBe(1);
    expect(L('emb/embeddings:0', [1000, 64])).toBe(0);
  });

  it('old topologies: no model_config, Sequential config as a plain list', () => {
    const old = { class_name: 'Sequential', config: [layer('Embedding', 'e'), layer('Dense', 'd')] };
    expect(outputChannelAxis('e/embeddings', [10, 4], old, 'layers-model')).toBe(0);
    expect(outputChannelAxis('d/kernel', [4, 2], old, 'layers-model')).toBe(1);
  });

  it('unknown layers, unknown weights and malformed topologies: last axis for rank >= 2, null below', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 6 }),
        fc.constantFrom<unknown>(layersTopology, null, 42, {}, { model_config: { config: { layers: 'x' } } }, []),
        fc.string(),
        (shape, topo, name) => {
          const got = outputChannelAxis(`nowhere_${name}/kernel`, shape, topo, 'layers-model');
          expect(got).toBe(shape.length < 2 ? null : shape.length - 1);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});

const node = (name: string, op: string, input: string[] = [], attr: Record<string, unknown> = {}) => ({ name, op, input, attr });

const graphTopology = {
  node: [
    node('x', 'Placeholder'),
    ...['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9', 'w10', 'w11', 'w12', 'w13', 'w14'].map((n) => node(n, 'Const')),
    node('mm', 'MatMul', ['x', 'w1']),
    node('mmT', 'MatMul', ['x', 'w2:0'], { transpose_b: { b: true } }),
    node('conv', 'Conv2D', ['x', 'w3']),
    node('dw', 'DepthwiseConv2dNative', ['x', 'w4']),
    node('deconv', 'Conv2DBackpropInput', ['sizes', 'w5', 'x']),
    node('fmm', '_FusedMatMul', ['x', 'w6', 'bias'], { transpose_b: { b: true } }),
    node('w7/read', 'Identity', ['w7']),
    node('mm7', 'MatMul', ['x', 'w7/read'], { transpose_b: { b: true } }),
    node('noop', 'NoOp', ['^w8']),
    node('fdw', 'FusedDepthwiseConv2dNative', ['x', 'w9', 'b']),
    node('fconv', '_FusedConv2D', ['x', 'w10', 'b']),
    node('mmA', 'MatMul', ['w11', 'x']), // weight as operand a: its rows are the output rows
    node('bmm', 'BatchMatMulV2', ['x', 'w12'], { adj_y: { b: true } }),
    node('conv3', 'Conv3D', ['x', 'w13']),
    node('mmF', 'MatMul', ['x', 'w14'], { transpose_b: { b: false } }),
  ],
};

const G = (name: string, shape: number[]) => outputChannelAxis(name, shape, graphTopology, 'graph-model');

describe('outputChannelAxis, graph models', () => {
  it('follows the rule per consuming op', () => {
    expect(G('w1', [784, 128])).toBe(1);
    expect(G('w2', [128, 784])).toBe(0); // transpose_b, written as w2:0
    expect(G('w3', [3, 3, 1, 8])).toBe(3);
    expect(G('w4', [3, 3, 8, 1])).toBe(2);
    expect(G('w5', [3, 3, 4, 8])).toBe(2);
    expect(G('w6', [10, 20])).toBe(0);
    expect(G('w7', [10, 20])).toBe(0); // through Identity
    expect(G('w8', [10, 20])).toBe(1); // only a control input: default
    expect(G('w9', [3, 3, 8, 1])).toBe(2);
    expect(G('w10', [3, 3, 1, 8])).toBe(3);
    expect(G('w11', [5, 784])).toBe(0);
    expect(G('w12', [2, 8, 4])).toBe(1);
    expect(G('w13', [3, 3, 3, 1, 8])).toBe(4);
    expect(G('w14', [784, 10])).toBe(1);
    expect(G('w1', [128])).toBeNull();
    expect(G('unused', [4, 4])).toBe(1);
  });

  it('any shape: a valid axis or null, never out of range', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 6 }), fc.constantFrom('w1', 'w2', 'w4', 'w5', 'w11', 'w12', 'zz'), (shape, name) => {
        const got = G(name, shape);
        if (shape.length < 2) expect(got).toBeNull();
        else {
          expect(got).not.toBeNull();
          expect(got as number).toBeGreaterThanOrEqual(0);
          expect(got as number).toBeLessThan(shape.length);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
