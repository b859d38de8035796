/** What every command writes to and returns: the injected streams and the exit codes. */
import type { LiveOptions } from './command-inputs.js';

/** Where the CLI writes; `process.stdout` / `process.stderr` fit. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Hooks for the live database read (tests). */
  readonly live?: LiveOptions;
}

/** Exit codes. */
export const EXIT = { fits: 0, overBudget: 1, badInput: 2 } as const;
