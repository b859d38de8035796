#!/usr/bin/env node
// Runs the TypeScript sources through tsx; the container image runs the compiled runtime/build/main.js instead.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
