/**
 * `promtool` (Debian's `prometheus` package; `.ci/run` installs it when
 * missing) for the tests that check metrics and rules with Prometheus' own
 * linter. Tests that need it use `describe.skipIf(!HAS_PROMTOOL)` with
 * `PROMTOOL_SKIP_REASON` in their name, so a run without it says so.
 */
import { spawnSync } from 'node:child_process';

/** True when `promtool` runs on this machine. */
export const HAS_PROMTOOL = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** Appended to the name of a suite that needs promtool. */
export const PROMTOOL_SKIP_REASON = HAS_PROMTOOL
  ? ''
  : ' (skipped: promtool not installed; apt-get install prometheus)';

/** What one promtool run printed and its exit status. */
export interface PromtoolResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `promtool ARGS…` with `input` on standard input; bounded to 60 s. */
export function promtool(args: readonly string[], input?: string): PromtoolResult {
  const result = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined)
    throw new Error(`promtool ${args.join(' ')} did not run: ${result.error.message}`, {
      cause: result.error,
    });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
