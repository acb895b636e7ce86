import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The API server started by `npm run dev` (server/cli.ts); the dev server forwards API and docs calls to it. */
const apiTarget = 'http://127.0.0.1:3000';

// The root is this folder, whatever the working directory, so `vite build --config web/vite.config.ts`
// from the repository root and `vite` run inside web/ behave the same.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // Citizens use cheap phones on weak networks: no source maps shipped, and a low warning threshold
    // (React + ReactDOM alone are ~220 kB minified, ~68 kB gzipped).
    sourcemap: false,
    chunkSizeWarningLimit: 240,
    rolldownOptions: {
      // Two entries: the light citizen portal (index.html) and the staff workbench (staff.html,
      // Ant Design + ECharts). The portal never loads the staff bundle.
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        staff: fileURLToPath(new URL('staff.html', import.meta.url)),
      },
      output: {
        // React changes far less often than our code: its own chunk stays cached across releases.
        codeSplitting: {
          groups: [{ name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/ }],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/docs': { target: apiTarget, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/docs': { target: apiTarget, changeOrigin: false },
    },
  },
});
