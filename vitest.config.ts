import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Sizes are computed, not looked up in the user's cache (test/report/size-cache.test.ts tests the cache).
    env: { MAAS_COMPRESS_CACHE: 'off' },
  },
});
