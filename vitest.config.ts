import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // oclif writes through process.stdout; vitest's console interception would swallow it.
    disableConsoleIntercept: true,
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    env: { NO_COLOR: '1', DCOS_CLUSTER: '', DCOS_URL: '', DCOS_ACS_TOKEN: '' },
  },
});
