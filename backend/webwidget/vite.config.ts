// Builds the chat UI that runs in the iframe (/widget/frame) into dist/,
// with content-hashed asset names under dist/assets/ so that tandemd can
// serve them as immutable. The loader (/widget.js) is built separately by
// vite.loader.config.ts.
import { defineConfig } from "vite";

// The generated API client lives in ../../api/ts, imported as @api/... (as
// in the desktop's frontend). It imports @bufbuild/*: dedupe resolves those
// from this package so the bundle has one copy and needs no node_modules
// under api/.
// (URL rather than node:url: this config is type-checked with the frame's
// browser-only types.)
const api = decodeURIComponent(new URL("../../api/ts/tandem/v1", import.meta.url).pathname);

export default defineConfig({
  base: "/widget/",
  resolve: {
    alias: { "@api": api },
    dedupe: ["@bufbuild/protobuf", "@bufbuild/protovalidate"],
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rolldownOptions: {
      input: { frame: "frame.html" },
      output: {
        entryFileNames: "assets/[name]-[hash].js",
        chunkFileNames: "assets/[name]-[hash].js",
        assetFileNames: "assets/[name]-[hash][extname]",
      },
    },
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
} as Parameters<typeof defineConfig>[0]);
