import { defineConfig } from "vitest/config";
import path from "node:path";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(__dirname, ".") } },
  esbuild: { jsx: "automatic" },
  test: {
    include: ["**/*.test.{ts,tsx}"],
    exclude: ["node_modules/**", ".next/**", "tests/e2e/**"],
    environment: "jsdom",
    reporters: ["default", "json"],
    outputFile: { json: process.env.VITEST_JSON ?? ".vitest-report.json" },
  },
});
