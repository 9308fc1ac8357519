// Builds the chat UI that runs in the iframe (/widget/frame) into dist/,
// with content-hashed asset names under dist/assets/ so that tandemd can
// serve them as immutable. The loader (/widget.js) is built separately by
// vite.loader.config.ts.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/widget/",
  // The generated API client lives in ../../api/ts and imports these
  // packages: resolve them from this package so the bundle has one copy
  // and needs no node_modules under api/.
  resolve: { dedupe: ["@bufbuild/protobuf", "@bufbuild/protovalidate"] },
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
