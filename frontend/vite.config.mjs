// Vite build of the cockpit (served from frontend/dist by `cpe serve`) and the Vitest setup.
// CPE_API (e.g. http://127.0.0.1:8000) proxies the API routes in `vite dev`.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.CPE_API || 'http://127.0.0.1:8000';
const routes = ['/predict', '/explain', '/market-data', '/predictions', '/backtest', '/health', '/metrics', '/assets'];

export default defineConfig({
  plugins: [react()],
  base: './',
  build: { outDir: 'dist', target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: Object.fromEntries([...routes.map((r) => [r, api]), ['/ws', { target: api.replace(/^http/, 'ws'), ws: true }]]),
  },
  test: {
    environment: 'node', // component tests opt in with a @vitest-environment jsdom comment
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
