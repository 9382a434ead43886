/** The browser loader bundle's size budget: under 12 KiB minified and gzipped, fflate included (printed by npm run build:loader). */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { LOADER_GZIP_LIMIT, buildLoader } from '../../scripts/build-loader.mjs';

describe('the loader bundle', () => {
  it('is under 12 KiB minified + gzipped with fflate', async () => {
    const { sizes } = (await buildLoader()) as { sizes: { withFflate: { min: number; gzip: number }; withoutFflate: { gzip: number } } };
    expect(LOADER_GZIP_LIMIT).toBe(12 * 1024);
    expect(sizes.withoutFflate.gzip).toBeLessThan(sizes.withFflate.gzip);
    expect(sizes.withFflate.gzip, `${sizes.withFflate.gzip} bytes gzipped`).toBeLessThanOrEqual(LOADER_GZIP_LIMIT);
  });
});
