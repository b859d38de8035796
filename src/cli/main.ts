/** Entry of the `clientats-deploy` command: runs `runCli` on the process's arguments and sets the exit code. */
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
