import { defineConfig } from 'vitest/config';

// GPU tests share one Dawn device: lavapipe already spreads one process's work over both cores,
// so parallel test files would only contend. One worker, no isolation, files in sequence.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    isolate: false,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: ['test/setup-env.ts'],
    globalSetup: ['test/global-setup.ts'],
  },
});
