import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // One stack, one database: files run one after another so no test sees another's half-done state.
    fileParallelism: false,
    testTimeout: 30000,
    // CI also keeps a JSON summary, from which .ci/run prints its closing "N passed, N failed" line.
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".stack/test-results.json" }]] : ["default"],
    hookTimeout: 120000,
  },
});
