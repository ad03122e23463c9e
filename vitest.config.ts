import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    // Two files at a time: most tests wait on a child process, a server or PostgreSQL, so on a 2-core machine
    // two workers keep both cores busy (vitest's default there is one). Measured on the whole suite: 14 min 51 s
    // serial, 10 min 48 s with two (and 220 files rather than 207).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
