import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // One stack, one database: files run one after another so no test sees another's half-done state.
    fileParallelism: false,
    testTimeout: 30000,
    hookTimeout: 120000,
  },
});
