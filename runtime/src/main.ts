/** The `clientats-runtime` process (`npm start`): see `process/start-runtime.ts`. */
import { startRuntime } from './process/start-runtime.js';

await startRuntime();
