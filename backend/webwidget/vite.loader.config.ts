// Builds the loader script stores embed (dist/widget.js): one classic
// script, no imports, no hash (its URL is part of the snippet; tandemd
// serves it with Cache-Control: no-cache).
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: false,
    target: "es2018",
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: "src/loader/loader.ts",
      formats: ["iife"],
      name: "TandemLoader",
      fileName: () => "widget.js",
    },
  },
});
