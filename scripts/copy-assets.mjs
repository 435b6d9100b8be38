#!/usr/bin/env node
// tsc compiles TypeScript only; the contract data files that modules read at run time (WSDLs,
// JSON schemas, code lists) are copied beside their compiled modules in dist/.
import { cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const SOURCE_DIRS = ['adapters', 'certs', 'central-sim', 'config', 'core', 'gateway'];
const SKIP = /\.(ts|tsx|map|md)$/;

function walk(rel) {
  for (const name of readdirSync(path.join(root, rel))) {
    const relPath = path.join(rel, name);
    const stat = statSync(path.join(root, relPath));
    if (stat.isDirectory()) {
      if (name === 'node_modules' || name === 'fixtures') continue;
      walk(relPath);
    } else if (!SKIP.test(name)) {
      mkdirSync(path.join(root, 'dist', rel), { recursive: true });
      cpSync(path.join(root, relPath), path.join(root, 'dist', relPath));
    }
  }
}
for (const dir of SOURCE_DIRS) walk(dir);
