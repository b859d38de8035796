#!/usr/bin/env node
// Launcher of `clientats-deploy`: runs the compiled CLI in build/ (no TypeScript compilation at run time).
// In a clone, `npm ci` builds it through the `prepare` script; `npm run build` refreshes it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../../build/cli/main.js', import.meta.url);
if (existsSync(entry)) {
  await import(entry.href);
} else {
  process.stderr.write(
    `clientats-deploy: compiled CLI not found at ${fileURLToPath(entry)}; run \`npm run build\` first\n`,
  );
  process.exitCode = 2;
}
