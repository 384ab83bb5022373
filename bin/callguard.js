#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/engine/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('callguard: not built yet; run "npm install" (or "npm run build") in the callguard directory\n');
  process.exit(1);
}
await import(main.href);
