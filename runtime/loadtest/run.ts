/**
 * `npm run loadtest`: the guide's "test under load" as a command. Starts an
 * embedded PostgreSQL, seeds the example's clients table, then drives HTTP
 * load (autocannon) through
 *   - the example service on the runtime (`clientats-runtime runtime/example/server.ts`) with a preset, and
 *   - the same handler on bare node:http + pg.Pool (max = the runtime's bound),
 * alternating rounds, while sampling pg_stat_activity and the probes. Then a
 * SIGTERM-under-load run of the runtime counts failed requests.
 *
 *   npm run loadtest -- [--preset medium] [--seconds 10] [--connections 64] [--rounds 2] [--pin]
 *
 * `--pin` (Linux, 2+ CPUs) gives the server under test CPU 0 and everything
 * else (this process with autocannon, PostgreSQL, the probe sampler) CPU 1,
 * as a pod has its own CPU share on a node; without it all of them compete for
 * every CPU and the run measures the load generator's share as much as the server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { perInstanceConnections } from '../src/contract/connection-bound.js';
import { migrate } from '../example/migrations.js';
import { createScratchDatabase, freePort, startTestDatabase } from '../test/support/test-database.js';
import {
  percentile,
  requestMix,
  runPhase,
  sampleBackends,
  startLoad,
  type PhaseResult,
} from './load-phase.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIENTS = 1000;

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'medium' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '2' },
    pin: { type: 'boolean', default: false },
  },
});
const presets = JSON.parse(
  readFileSync(new URL('../../templates/presets.json', import.meta.url), 'utf8'),
) as Record<string, Record<string, number | boolean>>;
const preset = presets[values.preset];
if (preset === undefined) {
  process.stderr.write(
    `--preset must be one of ${Object.keys(presets).join(', ')}, got ${JSON.stringify(values.preset)}\n`,
  );
  process.exit(2);
}
const integer = (name: string, text: string): number => {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    process.stderr.write(`--${name} must be an integer >= 1, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return Number(text);
};
const seconds = integer('seconds', values.seconds);
const connections = integer('connections', values.connections);
const rounds = integer('rounds', values.rounds);
const shape = {
  poolSize: Number(preset.POOL_SIZE),
  poolCount: Number(preset.POOL_COUNT ?? 1),
  maxOverflow: Number(preset.MAX_OVERFLOW ?? 0),
};
const bound = perInstanceConnections(shape);

/** With `--pin`: the server under test runs on this CPU, everything else on the next one. */
const SERVER_CPU = 0;
if (values.pin) {
  if (cpus().length < 2) {
    process.stderr.write(`--pin needs 2 or more CPUs, this machine has ${cpus().length}\n`);
    process.exit(2);
  }
  // Before PostgreSQL and the sampler start, so they inherit it.
  execFileSync('taskset', ['-apc', String(SERVER_CPU + 1), String(process.pid)], { stdio: 'ignore' });
}

interface Server {
  child: ChildProcess;
  url: string;
  lines: { msg?: string; time?: number }[];
  exited: Promise<number | string>;
}

/** Spawns a server and waits until `readyPath` answers 200. */
async function launch(args: string[], env: Record<string, string>, readyPath: string): Promise<Server> {
  const port = await freePort();
  const command = [process.execPath, '--import', 'tsx', ...args];
  // taskset execs node in place: the pid (whose CPU time is read from /proc) is the server's.
  const [file, ...rest] = values.pin ? ['taskset', '-c', String(SERVER_CPU), ...command] : command;
  const child = spawn(file as string, rest, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Server['lines'] = [];
  let pending = '';
  let errors = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as Server['lines'][number]);
      } catch {
        lines.push({ msg: part });
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited at start: ${errors}`);
    try {
      if ((await fetch(`${url}${readyPath}`)).status === 200) return { child, url, lines, exited };
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${args.join(' ')} was not ready within 60 s: ${errors}`);
}

async function stop(server: Server): Promise<void> {
  server.child.kill('SIGKILL');
  await server.exited;
}

const fmt = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

async function main(): Promise<void> {
  const loadStart = loadavg();
  process.stdout.write(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ` +
      `load average ${loadStart.map((n) => n.toFixed(1)).join(' ')}` +
      `${values.pin ? `, server pinned to CPU ${SERVER_CPU}, the rest to CPU ${SERVER_CPU + 1}` : ''}\n`,
  );
  process.stdout.write(
    `preset ${values.preset}: ${JSON.stringify(shape)}, bound ${bound}; ` +
      `${connections} connections × ${seconds} s × ${rounds} rounds\n`,
  );
  const database = await startTestDatabase({ maxConnections: 100 });
  try {
    const scratch = await createScratchDatabase(database.url, 'loadtest');
    const seed = new pg.Pool({ connectionString: scratch.url, max: 2 });
    await migrate(seed);
    await seed.query(
      `INSERT INTO clients (name, email) SELECT 'Client ' || n, ` +
        `'client' || n || '@example.com' FROM generate_series(1, ${CLIENTS}) n`,
    );
    await seed.end();

    const runtimeEnv = {
      DATABASE_URL: scratch.url,
      POOL_SIZE: String(shape.poolSize),
      POOL_COUNT: String(shape.poolCount),
      MAX_OVERFLOW: String(shape.maxOverflow),
      POOL_TIMEOUT: String(preset.POOL_TIMEOUT ?? 5000),
      LOG_LEVEL: 'warn',
      SHUTDOWN_DELAY_MS: '2000',
      SHUTDOWN_DRAIN_MS: '10000',
    };
    const contenders = {
      runtime: {
        args: ['runtime/src/main.ts', 'runtime/example/server.ts'],
        env: runtimeEnv,
        ready: '/health/ready',
      },
      bare: {
        args: ['runtime/loadtest/bare-server.ts'],
        env: {
          DATABASE_URL: scratch.url,
          POOL_MAX: String(bound - 1),
          POOL_TIMEOUT: String(preset.POOL_TIMEOUT ?? 5000),
        },
        ready: '/health',
      },
    };
    const results: Record<string, PhaseResult[]> = { runtime: [], bare: [] };
    for (let round = 0; round < rounds; round += 1) {
      for (const name of ['bare', 'runtime'] as const) {
        const contender = contenders[name];
        const server = await launch(contender.args, contender.env, contender.ready);
        try {
          // A short warm-up so both are measured past JIT and connection setup.
          await runPhase(
            {
              baseUrl: server.url,
              pid: server.child.pid as number,
              adminUrl: database.url,
              database: 'loadtest',
              seconds: 2,
              connections,
              clients: CLIENTS,
            },
            [],
          );
          const result = await runPhase(
            {
              baseUrl: server.url,
              pid: server.child.pid as number,
              adminUrl: database.url,
              database: 'loadtest',
              seconds,
              connections,
              clients: CLIENTS,
            },
            ['/health/ready', '/health'],
          );
          results[name]?.push(result);
          process.stdout.write(`round ${round + 1} ${name}: ${JSON.stringify(result)}\n`);
        } finally {
          await stop(server);
        }
      }
    }
    report(results);
    await sigtermUnderLoad(contenders.runtime.args, runtimeEnv, database.url);
    await scratch.close();
  } finally {
    await database.close();
  }
  process.stdout.write(
    `load average at the end ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}\n`,
  );
}

function report(results: Record<string, PhaseResult[]>): void {
  const median = (list: number[]): number =>
    percentile(
      [...list].sort((a, b) => a - b),
      0.5,
    );
  const rows: string[] = ['| | runtime (example) | bare node:http + pg.Pool | ratio |', '|---|---|---|---|'];
  const metric = (label: string, pick: (result: PhaseResult) => number, digits = 0): void => {
    const a = median((results.runtime ?? []).map(pick));
    const b = median((results.bare ?? []).map(pick));
    rows.push(`| ${label} | ${fmt(a, digits)} | ${fmt(b, digits)} | ${fmt(a / b, 2)} |`);
  };
  metric('requests/s (median of rounds)', (result) => result.requestsPerSecond);
  metric('latency p50 ms', (result) => result.p50Millis, 1);
  metric('latency p99 ms', (result) => result.p99Millis, 1);
  metric('server CPU µs / request', (result) => result.cpuMicrosPerRequest, 1);
  metric('peak backends (max of rounds: see statuses line)', (result) => result.peakBackends);
  metric(
    '/health/ready p99 ms while saturated',
    (result) => result.probes['/health/ready']?.p99 ?? Number.NaN,
    1,
  );
  metric('/health/ready max ms', (result) => result.probes['/health/ready']?.max ?? Number.NaN, 1);
  metric('/health p99 ms while saturated', (result) => result.probes['/health']?.p99 ?? Number.NaN, 1);
  rows.push(`| bound POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + 1 | ${bound} | | |`);
  for (const name of ['runtime', 'bare']) {
    rows.push(
      `| statuses ${name} (all rounds) | ` +
        `${JSON.stringify(mergeCounts((results[name] ?? []).map((r) => r.statuses)))} | | |`,
    );
  }
  process.stdout.write(`\n${rows.join('\n')}\n\n`);
}

function mergeCounts(list: Record<string, number>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const counts of list)
    for (const [key, count] of Object.entries(counts)) merged[key] = (merged[key] ?? 0) + count;
  return merged;
}

/** SIGTERM after 3 s of load; load continues until the process is gone (no load balancer in front). */
async function sigtermUnderLoad(
  args: string[],
  env: Record<string, string>,
  adminUrl: string,
): Promise<void> {
  const server = await launch(args, env, '/health/ready');
  const backends = sampleBackends(adminUrl, 'loadtest');
  const started = performance.now();
  let sigtermAt = Number.POSITIVE_INFINITY;
  const before = { ok: 0, failed: 0 };
  const after = { ok: 0, failed: 0 };
  const errorTimes: number[] = [];
  const instance = startLoad(
    { url: server.url, connections, duration: 30, timeout: 10, requests: requestMix(CLIENTS) },
    () => undefined,
  );
  instance.on('response', (_client, statusCode, _bytes, millis) => {
    const bucket = performance.now() - millis < sigtermAt ? before : after;
    if (statusCode < 400) bucket.ok += 1;
    else bucket.failed += 1;
  });
  instance.on('reqError', () => {
    errorTimes.push(performance.now());
  });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  sigtermAt = performance.now();
  const sigtermEpoch = Date.now();
  server.child.kill('SIGTERM');
  const code = await server.exited;
  const exitedAt = performance.now();
  instance.stop();
  const peak = await backends.stop();
  const closedLine = server.lines.find((line) => line.msg?.startsWith('shutdown: stopped accepting'));
  const listenerClosedAt =
    closedLine?.time === undefined ? Number.NaN : sigtermAt + (closedLine.time - sigtermEpoch);
  const errorsBeforeClose = errorTimes.filter((time) => time < listenerClosedAt).length;
  process.stdout.write(
    [
      '',
      `SIGTERM under load (${connections} connections, no load balancer: ` +
        'the load keeps coming until the process is gone):',
      `  requests started before SIGTERM: ${before.ok} answered < 400, ${before.failed} failed`,
      '  requests started after SIGTERM (during SHUTDOWN_DELAY_MS, Connection: close): ' +
        `${after.ok} answered < 400, ${after.failed} failed`,
      `  network errors before the listener closed: ${errorsBeforeClose}; ` +
        'after it closed (refused/reset, expected without a load balancer): ' +
        `${errorTimes.length - errorsBeforeClose}`,
      `  exit code ${code}; SIGTERM → exit ${fmt(exitedAt - sigtermAt)} ms (SHUTDOWN_DELAY_MS 2000); ` +
        `load ran ${fmt((sigtermAt - started) / 1000, 1)} s before SIGTERM`,
      `  peak backends ${peak} (bound ${bound})`,
      '',
    ].join('\n'),
  );
}

await main();
