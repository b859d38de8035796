#!/usr/bin/env node
// Launcher of `clientats-runtime`: runs the compiled runtime in build/, as the container image does.
// In a clone, `npm ci` builds it through the root's `prepare` script; `npm run build` refreshes it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../build/main.js', import.meta.url);
if (existsSync(entry)) {
  await import(entry.href);
} else {
  process.stderr.write(
    `clientats-runtime: compiled runtime not found at ${fileURLToPath(entry)}; run \`npm run build\` first\n`,
  );
  process.exitCode = 1;
}
