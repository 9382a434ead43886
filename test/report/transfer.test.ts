/** The transfer-time model against hand-worked examples (docs/report.md shows the same arithmetic). */
import { describe, expect, it } from 'vitest';
import { NETWORKS, dataTime, parseNetwork, transferTime } from '../../src/report/transfer.js';

describe('transfer time', () => {
  it('4g: 2,000-byte model.json and 100,000 bytes of weights', () => {
    // 4g: 1638.4 kbit/s = 204.8 bytes/ms, RTT 150 ms, bandwidth-delay product 30,720 bytes.
    // setup 2 RTT = 300; model.json: RTT 150 + 2000 / 204.8 = 159.765625 (window stays 14,600).
    // weights: RTT 150; window 14,600 < BDP and < 100,000: +150 (85,400 left, window 29,200);
    // 29,200 < BDP: +150 (56,200 left, window 58,400 >= BDP); 56,200 / 204.8 = 274.4140625.
    const expected = 300 + 150 + 2000 / 204.8 + 150 + 150 + 150 + 56200 / 204.8;
    expect(expected).toBeCloseTo(1184.1796875, 6);
    expect(transferTime({ json: 2000, weights: [60000, 40000] }, NETWORKS['4g'])).toBeCloseTo(expected, 6);
  });

  it('3g: a 50,000-byte container is one file', () => {
    // 3g: 87.5 bytes/ms, RTT 300, BDP 26,250. setup 600 + request 300; window 14,600: +300
    // (35,400 left, window 29,200 >= BDP); 35,400 / 87.5 = 404.571...
    expect(transferTime({ container: 50000 }, NETWORKS['3g'])).toBeCloseTo(600 + 300 + 300 + 35400 / 87.5, 6);
  });

  it('a window that already covers the pipe streams at the link rate', () => {
    const net = parseNetwork('lan=80000/1');
    expect(dataTime(1e6, net, 14600).ms).toBeCloseTo(1e6 / 10000, 6);
  });

  it('a transfer within the first window costs its bytes at the link rate', () => {
    expect(dataTime(1000, NETWORKS.broadband, 14600)).toEqual({ ms: 1000 / 1280, window: 14600 });
  });

  it('parses profiles and rejects bad ones', () => {
    expect(parseNetwork('4g')).toEqual({ name: '4g', kbitPerSecond: 1638.4, rttMs: 150 });
    expect(parseNetwork('slow=400/2000')).toEqual({ name: 'slow', kbitPerSecond: 400, rttMs: 2000 });
    expect(() => parseNetwork('5g')).toThrow(/--network: expected 3g, 4g, broadband or name=<kbit\/s>\/<rtt ms>/);
    expect(() => parseNetwork('x=0/10')).toThrow(/--network/);
  });
});
