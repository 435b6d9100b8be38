// Builds the admin web console (console/src) into dist/console, which the admin plane serves at
// `/` (gateway/admin/console.ts). Every asset is bundled: the gateway's network has no internet.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import path from 'node:path';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: path.resolve(import.meta.dirname, '../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    // No source maps: they would double what the admin plane serves, for no operator's benefit.
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});
