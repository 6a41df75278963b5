import { defineConfig, loadEnv } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// One build serves three faces (console, co-browse site, app window); see src/main.ts.
// `npm run dev` proxies the API to a host: INSTANT_SHARE_HOST, else the default listen address.
export default defineConfig(({ mode }) => {
  const host = loadEnv(mode, '.', 'INSTANT_SHARE_').INSTANT_SHARE_HOST ?? 'http://127.0.0.1:8080';
  return {
    base: '/',
    plugins: [svelte()],
    build: {
      outDir: 'dist',
      assetsDir: 'assets',
      emptyOutDir: true,
      target: 'es2022',
      // No data: URIs: the app's CSP allows only its own origin.
      assetsInlineLimit: 0,
    },
    server: {
      proxy: {
        '/api': { target: host, ws: true },
        '/healthz': host,
      },
    },
  };
});
