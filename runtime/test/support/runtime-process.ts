/**
 * Spawns the real `clientats-runtime` process for tests and reads its JSON log
 * lines. Every spawned process is killed by `stop()` if still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A running runtime process. */
export interface RuntimeProcess {
  readonly child: ChildProcess;
  /** Parsed JSON lines of stdout (non-JSON lines kept as `{ msg: line }`). */
  readonly lines: { msg: string; level?: number; [key: string]: unknown }[];
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** Waits until a log line's message contains `text`; rejects after `timeoutMillis` or if the process exits first. */
  waitForLog(text: string, timeoutMillis?: number): Promise<{ msg: string; [key: string]: unknown }>;
  /** Kills the process if it is still running. */
  stop(): Promise<void>;
}

/** How to start it: through tsx on the sources (default) or through the bin launcher. */
export type Entry = 'source' | 'bin';

/** Spawns the runtime with exactly `env` (plus PATH and HOME); `extraArgs` follow the entry (an application module). */
export function spawnRuntime(
  env: Record<string, string>,
  entry: Entry = 'source',
  extraArgs: readonly string[] = [],
): RuntimeProcess {
  const args = [
    ...(entry === 'bin' ? ['runtime/bin/clientats-runtime.mjs'] : ['--import', 'tsx', 'runtime/src/main.ts']),
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let pending = '';
  const lines: RuntimeProcess['lines'] = [];
  const watchers = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        lines.push(JSON.parse(line) as RuntimeProcess['lines'][number]);
      } catch {
        lines.push({ msg: line });
      }
      newline = pending.indexOf('\n');
    }
    for (const watcher of watchers) watcher();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const watcher of watchers) watcher();
    });
  });
  return {
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    exited,
    // Generous: starting tsx and the runtime on a loaded 2-core machine took over 20 s (bounded below the 60
    // s test timeout).
    waitForLog(text, timeoutMillis = 50_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find((line) => line.msg.includes(text));
          if (found !== undefined) done(() => resolve(found));
          else if (child.exitCode !== null || child.signalCode !== null)
            done(() =>
              reject(
                new Error(`the runtime exited before logging "${text}"; stdout: ${out}; stderr: ${err}`),
              ),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(
                  `no log line with "${text}" within ${timeoutMillis} ms; stdout: ${out}; stderr: ${err}`,
                ),
              ),
            ),
          timeoutMillis,
        );
        const done = (settle: () => void): void => {
          clearTimeout(timer);
          watchers.delete(check);
          settle();
        };
        watchers.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
