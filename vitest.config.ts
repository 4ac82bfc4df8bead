import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Tests that boot containers or emulators run in their own files and say so; the rest may
    // run in parallel.
    pool: 'forks',
  },
});
