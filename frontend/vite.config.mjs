// Vite build of the cockpit (served from frontend/dist by `cpe serve`) and the Vitest setup.
// Two pages: index.html (the cockpit) and docs.html (the API reference the server returns for
// GET /docs). CPE_API (e.g. http://127.0.0.1:8000) proxies the API routes in `vite dev`.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.CPE_API || 'http://127.0.0.1:8000';
const routes = ['/predict', '/explain', '/market-data', '/predictions', '/backtest', '/health', '/metrics', '/assets', '/openapi.json'];

export default defineConfig({
  plugins: [react()],
  base: './',
  build: {
    outDir: 'dist', target: 'es2022', sourcemap: false,
    // every browser the cockpit supports has <link rel=modulepreload>: no polyfill request
    modulePreload: { polyfill: false },
    // Swagger UI (docs page only) is one ~1.5 MB chunk; the cockpit's chunks stay under 600 kB
    chunkSizeWarningLimit: 2000,
    rollupOptions: { input: { main: 'index.html', docs: 'docs.html' } },
  },
  server: {
    proxy: Object.fromEntries([...routes.map((r) => [r, api]), ['/ws', { target: api.replace(/^http/, 'ws'), ws: true }]]),
  },
  test: {
    environment: 'node', // component tests opt in with a @vitest-environment jsdom comment
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
