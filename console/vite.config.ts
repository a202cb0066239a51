// Vite builds the console into dist/, which the gproxy binary embeds and serves at `/`:
// index.html is served uncached and everything under assets/ carries a content hash, so an
// upgrade never leaves a browser holding a chunk that no longer exists.
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The gateway `npm run dev` proxies API calls to (override with GPROXY_URL).
const gateway = process.env.GPROXY_URL ?? "http://127.0.0.1:8787";

// Only the gateway's own API is proxied; every other path is the app's and falls back to
// index.html, as the embedded build does. Keys starting with `^` are regular expressions, so
// `/user` does not swallow the app's `/users` page.
const apiPaths = ["^/(login|logout|openapi\\.json)(\\?.*)?$", "^/(user|admin)(/.*|\\?.*)?$"];

export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    rollupOptions: {
      output: {
        entryFileNames: "assets/[name]-[hash].js",
        chunkFileNames: "assets/[name]-[hash].js",
        assetFileNames: "assets/[name]-[hash][extname]",
      },
    },
  },
  server: {
    proxy: Object.fromEntries(
      apiPaths.map((path) => [path, { target: gateway, changeOrigin: false }]),
    ),
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
  },
});
