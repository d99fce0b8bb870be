import { defineConfig } from 'vitest/config';

// Integration tests start real servers (deploy/local) and real meshtel processes, so
// timeouts are generous and files run one at a time to keep ports and CPU predictable
// on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    reporters: ['default'],
  },
});
