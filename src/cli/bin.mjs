#!/usr/bin/env node
// Launcher of `clientats-deploy`: registers tsx so the TypeScript sources run without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
