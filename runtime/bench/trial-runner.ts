/**
 * Runs one trial in a fresh Node process (`worker.ts` under tsx), so every
 * contender is measured with its own JIT state, heap and CPU clock, and can be
 * profiled on its own with `--cpu-prof`. Every child is bounded in time and
 * killed if it overruns.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A message from the worker. */
export type WorkerMessage =
  | { readonly type: 'result'; readonly result: unknown }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'cpu'; readonly usage: NodeJS.CpuUsage };

/** Options of one child. */
export interface ChildOptions {
  /** Kill the child after this long. */
  readonly timeoutMillis: number;
  /** Write a `.cpuprofile` of the child into this directory. */
  readonly cpuProfileDirectory?: string;
}

function spawnWorker(task: unknown, options: ChildOptions): ChildProcess {
  const execArgv = ['--import', 'tsx'];
  if (options.cpuProfileDirectory !== undefined)
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDirectory}`);
  return fork(WORKER, [JSON.stringify(task)], {
    cwd: REPOSITORY_ROOT,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Runs `task` in a child and resolves with its result. */
export async function runTrial<Result>(task: unknown, options: ChildOptions): Promise<Result> {
  const child = spawnWorker(task, options);
  return new Promise<Result>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() =>
        reject(new Error(`bench worker overran ${options.timeoutMillis} ms on ${JSON.stringify(task)}`)),
      );
    }, options.timeoutMillis);
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'result') settle(() => resolve(message.result as Result));
      if (message.type === 'error') settle(() => reject(new Error(message.message)));
    });
    child.on('error', (error) => settle(() => reject(error)));
    child.on('exit', (code, signal) => {
      settle(() => reject(new Error(`bench worker exited (${signal ?? code}) without a result`)));
    });
  });
}

/** A long-running server child. */
export interface ServerChild {
  readonly port: number;
  /** The child's cumulative CPU usage now. */
  cpuUsage(): Promise<NodeJS.CpuUsage>;
  /** Asks the child to close and exit; kills it if it has not within 10 s. */
  stop(): Promise<void>;
}

/** Starts a server task in a child and resolves once it listens. */
export async function startServerChild(task: unknown, options: ChildOptions): Promise<ServerChild> {
  const child = spawnWorker(task, options);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`bench server did not listen within ${options.timeoutMillis} ms: ${JSON.stringify(task)}`),
      );
    }, options.timeoutMillis);
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'listening') {
        clearTimeout(timer);
        resolve(message.port);
      }
      if (message.type === 'error') {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(message.message));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`bench server exited (${signal ?? code}) before listening`));
    });
  });
  return {
    port,
    cpuUsage: () =>
      new Promise<NodeJS.CpuUsage>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('bench server did not report its CPU usage within 5 s')),
          5_000,
        );
        const listener = (message: WorkerMessage): void => {
          if (message.type !== 'cpu') return;
          clearTimeout(timer);
          child.off('message', listener);
          resolve(message.usage);
        };
        child.on('message', listener);
        child.send({ type: 'cpu' });
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.send({ type: 'stop' });
      await exited;
      clearTimeout(timer);
    },
  };
}
