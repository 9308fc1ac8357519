import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The generated API types live in ../../api/ts and import @bufbuild/*;
// dedupe resolves those from this package's node_modules, so the app needs
// nothing installed under api/.
const api = fileURLToPath(new URL("../../api/ts/tandem/v1", import.meta.url));

export default defineConfig({
  resolve: {
    alias: { "@api": api },
    dedupe: ["@bufbuild/protobuf", "@bufbuild/protovalidate"],
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  server: { port: 5173, strictPort: true, fs: { allow: [".", api] } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, target: "es2022" },
  test: { environment: "node", include: ["test/**/*.test.ts", "test/**/*.test.tsx"] },
});
