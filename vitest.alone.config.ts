import { defineConfig } from 'vitest/config';

/**
 * The tests in test/alone measure how fast dockhand answers under a flood, so they run after the rest
 * of `npm test`, one file at a time, with no other test sharing the machine's cores.
 */
export default defineConfig({
  test: {
    include: ['test/alone/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: process.env.CI ? { json: 'test-results-alone.json' } : {},
  },
});
