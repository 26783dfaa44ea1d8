import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The folder of this file, so the build works whatever the working directory
// (`vite build --config kiosk-ui/vite.config.ts` from the repo root is the usual way).
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Kiosks and admins run current Chromium-class browsers, which support modulepreload natively.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      input: {
        landing: resolve(root, 'index.html'),
        kiosk: resolve(root, 'kiosk/index.html'),
        admin: resolve(root, 'admin/index.html'),
      },
      // Two shared chunks, cached across the pages: Preact + htm, and the app's own helpers.
      output: {
        codeSplitting: {
          groups: [
            { name: 'preact', test: /node_modules/ },
            { name: 'common', test: /kiosk-ui\/src\/(?!landing-main)[^/]+\.(ts|css)$/ },
          ],
        },
      },
    },
  },
});
