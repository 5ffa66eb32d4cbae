import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Workspace packages (@tally/protocol, ...) are tested from their TypeScript sources: their
// `exports` name them under this condition (tsconfig.json's customConditions says the same).
const SOURCE = "@tally/source";

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions] } },
  test: {
    include: [
      "src/**/*.test.ts",
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: real servers, browsers and databases are heavy; keep parallelism modest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
