#!/usr/bin/env node
// Launcher of `clientats-deploy`: runs the compiled CLI in build/ (no TypeScript compilation at run time).
// In a clone, `npm ci` builds it through the `prepare` script; `npm run build` refreshes it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// A run lasts a fraction of a second: V8's optimizing compiler would spend more CPU (on background threads)
// compiling the YAML parser than its code saves, so this process stays on interpreted and baseline code.
// Measured in BENCHMARKS.md ("CLI start-up"): -30% CPU on a dist/ of 230 KB, +25% on 2.4 MB of YAML.
setFlagsFromString('--max-opt=1');

const entry = new URL('../../build/cli/main.js', import.meta.url);
if (existsSync(entry)) {
  await import(entry.href);
} else {
  process.stderr.write(
    `clientats-deploy: compiled CLI not found at ${fileURLToPath(entry)}; run \`npm run build\` first\n`,
  );
  process.exitCode = 2;
}
