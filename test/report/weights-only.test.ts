/** report on a weights-only manifest: sizes and transfer times, and a plain statement that fidelity needs a topology. */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const FACE = 'fixtures/tiny-face-detector';

describe('report on a weights-only manifest', () => {
  it('sizes and transfer for every recipe, metrics null, inputs "none"', async () => {
    const r = await cli(['report', FACE, '--json', '--network', '4g']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.inputs).toBe('none');
    expect(doc.data).toMatchObject({ samples: 0, labels: false, synthetic: false, labelOutput: null });
    expect(doc.models).toHaveLength(4);
    for (const m of doc.models) {
      expect(m.metrics).toBeNull();
      expect(m.sizes.raw).toBeGreaterThan(50_000);
      expect(m.transfer['4g'].ms).toBeGreaterThan(0);
    }
    // The packed recipes are smaller than the original and served as is.
    expect(doc.models[3].servedAsIs).toBe(true);
    expect(doc.models[3].sizes.brotli).toBe(doc.models[3].sizes.raw);
    expect(doc.models[3].sizes.raw).toBeLessThan(doc.models[0].sizes.raw);
    expect(doc.notes.join('\n')).toMatch(/weights-only manifest: there is no model topology to run, so only sizes and transfer times are reported; fidelity needs a topology/);
    const table = await cli(['report', FACE, '--network', '4g', '--no-color']);
    expect(table.stdout).toMatch(/^original\s+-\s+-\s+needs topology/m);
  });

  it('size budgets are checked; fidelity budgets are refused with the reason', async () => {
    const ok = await cli(['report', FACE, '--json', '--network', '4g', '--max-size', '1MB']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).budgets).toHaveLength(3);
    const data = 'fixtures/mobileface/validation.npy';
    const bad = await cli(['report', FACE, '--data', data, '--min-cosine', '0.99']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/fidelity budgets need a model topology/);
  });
});
