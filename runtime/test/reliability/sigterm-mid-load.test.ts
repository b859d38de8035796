/**
 * Fault: the process receives SIGTERM in the middle of its work. Nothing is
 * lost: queries in flight finish and commit, nothing new is accepted once the
 * pool is draining, HTTP requests that got an answer got a whole one, and the
 * process exits 0 leaving no backend behind. Two processes: an application on
 * the library (pool queries under load) and the real `clientats-runtime` bin
 * (HTTP requests under load). The health server's own tests cover the
 * sequence itself (503 at once, the delay, the second signal).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { HEALTH_PATHS } from '../../src/contract/index.js';
import { createScratchDatabase, freePort } from '../support/test-database.js';
import { ms, recordFigures } from './support/figures.js';
import { get } from './support/http-get.js';
import { createLedger, waitUntil, withAdmin } from './support/server-view.js';

const RUNTIME = fileURLToPath(new URL('../../', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/tsx/dist/cli.mjs', import.meta.url));
/** Long enough that a loaded machine still polls readiness inside the delay after the "shutdown started" line. */
const SHUTDOWN_DELAY_MILLIS = 3000;
const TOKEN = 'sigterm-token';
/** Each test starts a child process and waits for it twice: a loaded machine needs more than the suite's 60 s. */
const LOADED_TEST_TIMEOUT_MILLIS = 240_000;

interface Line {
  kind: string;
  [field: string]: unknown;
}

/** A spawned process with its stdout parsed as JSON lines (other lines kept as text). */
function launch(
  args: string[],
  env: Record<string, string>,
): {
  child: ChildProcess;
  lines: Line[];
  output: string[];
  exited: Promise<{ code: number | null; signal: string | null }>;
} {
  const child = spawn(process.execPath, args, {
    cwd: RUNTIME,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const output: string[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      output.push(part);
      try {
        lines.push(JSON.parse(part) as Line);
      } catch {
        // not a JSON line
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, output, exited };
}

/** Bounded wait for a child's exit; kills it (and fails) if it does not exit in time. */
async function exitOf(
  process: ReturnType<typeof launch>,
  maxMillis: number,
): Promise<{ code: number | null; signal: string | null }> {
  const timer = setTimeout(() => process.child.kill('SIGKILL'), maxMillis);
  try {
    return await process.exited;
  } finally {
    clearTimeout(timer);
  }
}

describe('SIGTERM mid-load', () => {
  let scratch: { url: string; close(): Promise<void> };
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('databaseUrl'), 'reliability_sigterm');
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await scratch?.close();
  });

  const backendsOfScratch = (): Promise<number> =>
    withAdmin(
      inject('databaseUrl'),
      async (admin) =>
        (
          await admin.query<{ count: number }>(
            'SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = ' +
              "'reliability_sigterm' AND backend_type = 'client backend' AND application_name <> " +
              "'reliability-admin'",
          )
        ).rows[0]!.count,
    );

  it(
    'finishes and commits the queries in flight, accepts no new work once draining, exits 0 and leaves no backend',
    async () => {
      const ledger = await createLedger(scratch.url, 'ledger_sigterm');
      const app = launch([TSX, 'test/reliability/support/app-under-load.ts'], {
        DATABASE_URL: scratch.url,
        POOL_SIZE: '4',
        WORKERS: '4',
        LEDGER_TABLE: ledger.table,
        PORT: String(await freePort()),
        SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MILLIS),
        SHUTDOWN_DRAIN_MS: '5000',
        READINESS_INTERVAL_MS: '200',
      });
      children.push(app.child);
      await explainFailure(app, async () => {
        // Starting tsx and the pool on a loaded 2-core machine can take long: a generous bound.
        await waitUntil(
          'application listening and writing',
          () => app.lines.filter((line) => line.kind === 'op').length >= 40,
          120_000,
        );
        const url = app.lines.find((line) => line.kind === 'listening')!.url as string;
        const signalledAt = performance.timeOrigin + performance.now();
        app.child.kill('SIGTERM');
        // Event-driven: the child says when shutdown began (readiness already 503, listener open for the delay).
        await waitUntil(
          'the "shutdown started" line after SIGTERM',
          () =>
            app.lines.some(
              (line) =>
                line.kind === 'log' &&
                typeof line.msg === 'string' &&
                line.msg.startsWith('shutdown started'),
            ),
          30_000,
        );
        const readiness: Array<number | string> = [];
        await waitUntil(
          'readiness 503 during the shutdown delay',
          async () => {
            const answer = await get(`${url}${HEALTH_PATHS.readiness}`);
            readiness.push('status' in answer ? answer.status : answer.error);
            return readiness.at(-1) !== 200;
          },
          30_000,
          20,
        );
        const exit = await exitOf(app, 30_000);
        expect({ exit, readiness: readiness.filter((status) => status !== 200) }).toEqual({
          exit: { code: 0, signal: null },
          readiness: [503],
        });

        const ops = app.lines.filter((line) => line.kind === 'op') as Array<
          Line & { id: number; start: number; end: number; ok: boolean; code?: string }
        >;
        const endBegan = app.lines.find((line) => line.kind === 'end-began')!.at as number;
        const before = ops.filter((op) => op.start < endBegan);
        const after = ops.filter((op) => op.start >= endBegan);
        expect(before.filter((op) => !op.ok)).toEqual([]);
        expect(after.filter((op) => op.ok || op.code !== 'POOL_ENDED')).toEqual([]);
        expect(after.length).toBeGreaterThan(0);
        const inFlightAtSignal = ops.filter((op) => op.start <= signalledAt && op.end >= signalledAt);
        const inFlightAtEnd = ops.filter((op) => op.start <= endBegan && op.end >= endBegan);
        expect(inFlightAtEnd.every((op) => op.ok)).toBe(true);
        const stored = await ledger.stored();
        expect(ops.filter((op) => op.ok && !stored.has(op.id))).toEqual([]);
        expect(ops.filter((op) => !op.ok && stored.has(op.id))).toEqual([]);
        await waitUntil(
          'no backend of the application left',
          async () => (await backendsOfScratch()) === 0,
          5000,
        );

        recordFigures('sigterm-library', {
          operations: ops.length,
          succeeded: ops.filter((op) => op.ok).length,
          inFlightAtSignal: inFlightAtSignal.length,
          inFlightWhenDrainBegan: inFlightAtEnd.length,
          inFlightFinished: inFlightAtEnd.filter((op) => op.ok).length,
          refusedAfterDrainBegan: after.length,
          acknowledgedLost: 0,
          signalToExitMillis: ms(Math.max(...ops.map((op) => op.end)) - signalledAt),
          drainMillis: ms(Math.max(...ops.map((op) => op.end)) - endBegan),
        });
      });
    },
    LOADED_TEST_TIMEOUT_MILLIS,
  );

  it(
    'answers every HTTP request it accepted in full, refuses the rest, and the real bin exits 0',
    async () => {
      const port = await freePort();
      const runtime = launch(['bin/clientats-runtime.mjs'], {
        DATABASE_URL: scratch.url,
        PORT: String(port),
        HEALTH_CHECK_TOKEN: TOKEN,
        POOL_SIZE: '2',
        SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MILLIS),
        SHUTDOWN_DRAIN_MS: '3000',
        READINESS_INTERVAL_MS: '200',
        LOG_LEVEL: 'info',
      });
      children.push(runtime.child);
      const base = `http://127.0.0.1:${port}`;
      await waitUntil(
        'runtime ready',
        async () => {
          const answer = await get(`${base}${HEALTH_PATHS.readiness}`);
          return 'status' in answer && answer.status === 200;
        },
        120_000,
        100,
      );

      const results: Array<{
        at: number;
        endedAt: number;
        path: string;
        outcome: Awaited<ReturnType<typeof get>>;
      }> = [];
      let stop = false;
      const paths = [
        HEALTH_PATHS.diagnostics,
        HEALTH_PATHS.readiness,
        HEALTH_PATHS.metrics,
        HEALTH_PATHS.liveness,
      ];
      const loops = Array.from({ length: 4 }, async (_, index) => {
        for (let step = 0; step < 5000 && !stop; step += 1) {
          const path = paths[(index + step) % paths.length]!;
          const at = performance.now();
          const outcome = await get(`${base}${path}`, { authorization: `Bearer ${TOKEN}` });
          results.push({ at, endedAt: performance.now(), path, outcome });
          if ('error' in outcome && outcome.error === 'ECONNREFUSED') return;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      });
      await waitUntil('load before the signal', () => results.length >= 40, 10_000);
      const signalledAt = performance.now();
      runtime.child.kill('SIGTERM');
      const exit = await exitOf(runtime, 30_000);
      stop = true;
      await Promise.all(loops);

      expect(exit).toEqual({ code: 0, signal: null });
      const answered = results.filter((result) => 'status' in result.outcome);
      const failed = results.filter((result) => 'error' in result.outcome);
      expect(
        answered.filter(
          (result) =>
            'status' in result.outcome &&
            (!result.outcome.complete ||
              (result.path !== HEALTH_PATHS.metrics && !isJson(result.outcome.body))),
        ),
      ).toEqual([]);
      // Cut short = bytes of an answer arrived and then the connection broke: that would be lost work.
      expect(failed.filter((result) => 'error' in result.outcome && result.outcome.bytes > 0)).toEqual([]);
      expect(failed.filter((result) => result.at < signalledAt)).toEqual([]);
      const readinessAfterSignal = answered.filter(
        (result) => result.path === HEALTH_PATHS.readiness && result.at > signalledAt + 50,
      );
      expect(readinessAfterSignal.length).toBeGreaterThan(0);
      expect(
        readinessAfterSignal.map((result) => ('status' in result.outcome ? result.outcome.status : 0)),
      ).toEqual(readinessAfterSignal.map(() => 503));
      expect(
        failed.some((result) => 'error' in result.outcome && result.outcome.error === 'ECONNREFUSED'),
      ).toBe(true);
      await waitUntil('no backend of the runtime left', async () => (await backendsOfScratch()) === 0, 5000);

      recordFigures('sigterm-runtime-bin', {
        requests: results.length,
        answeredAfterSignal: answered.filter((result) => result.at >= signalledAt).length,
        refusedAfterClose: failed.filter(
          (result) => 'error' in result.outcome && result.outcome.error === 'ECONNREFUSED',
        ).length,
        otherNetworkErrors: failed
          .filter((result) => 'error' in result.outcome && result.outcome.error !== 'ECONNREFUSED')
          .map(
            (result) =>
              `${'error' in result.outcome ? result.outcome.error : ''} ${result.path} sent +` +
              `${ms(result.at - signalledAt)} ms, failed +${ms(result.endedAt - signalledAt)} ms ` +
              'after SIGTERM',
          ),
        shutdownDelayMillis: SHUTDOWN_DELAY_MILLIS,
        lastAnswerAfterSignalMillis: ms(Math.max(...answered.map((result) => result.endedAt)) - signalledAt),
        cutShort: 0,
        exitCode: exit.code,
      });
    },
    LOADED_TEST_TIMEOUT_MILLIS,
  );
});

/**
 * Runs `work`; if it fails, appends the child's last output lines (operations left out) and its failed
 * operations to the error.
 */
async function explainFailure<T>(child: ReturnType<typeof launch>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // A child left running would keep its backends and fail the next test's "no backend left" too.
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
    if (error instanceof Error) {
      const failedOps = child.lines
        .filter((line) => line.kind === 'op' && line.ok !== true)
        .slice(0, 10)
        .map((line) => JSON.stringify(line));
      const tail = child.output.filter((line) => !line.includes('"kind":"op"')).slice(-15);
      error.message +=
        `\n--- failed operations ---\n${failedOps.join('\n')}\n--- child output (operations left out) ` +
        `---\n${tail.join('\n')}`;
    }
    throw error;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
