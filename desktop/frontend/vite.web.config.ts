import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vite";
import base from "./vite.config.ts";

// The agent web app: the same views as the desktop app with the browser
// host (src/web), built into the Go module that serves it at /app
// (backend/webapp/dist, committed; `make check-webapp` checks it is current).
const out = fileURLToPath(new URL("../../backend/webapp/dist", import.meta.url));

export default mergeConfig(
  base,
  defineConfig({
    base: "/app/",
    build: { outDir: out, emptyOutDir: true, rollupOptions: { input: "web.html" } },
  }),
);
