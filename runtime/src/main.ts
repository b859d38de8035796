/**
 * The `clientats-runtime [APP_MODULE]` process (`npm start`): see
 * `process/start-runtime.ts`. The only argument is the application module.
 */
import { startRuntime } from './process/start-runtime.js';

const USAGE = 'usage: clientats-runtime [APP_MODULE]   (e.g. clientats-runtime ./build/server.js)';
const args = process.argv.slice(2);
const flag = args.find((arg) => arg.startsWith('-'));
if (flag === '--help' || flag === '-h') {
  process.stdout.write(`${USAGE}\n`);
} else if (flag !== undefined) {
  process.stderr.write(`clientats-runtime has no option ${JSON.stringify(flag)}: ${USAGE}\n`);
  process.exit(2);
} else if (args.length > 1) {
  process.stderr.write(
    `clientats-runtime takes at most one application module, got ${args.length}: ${JSON.stringify(args)}; ${USAGE}\n`,
  );
  process.exit(2);
} else {
  await startRuntime({ appModule: args[0] });
}
