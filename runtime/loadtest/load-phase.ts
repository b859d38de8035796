/**
 * One measured phase: autocannon against a server process while the
 * PostgreSQL backends of its database and its probes are sampled.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon, { type AutocannonOptions, type AutocannonResult } from 'autocannon';
import pg from 'pg';
import { type ProbeTimings } from './probe-timings.js';

export { percentile } from './probe-timings.js';

/** One request template of autocannon's `requests` option (missing from runtime/bench/autocannon.d.ts). */
export interface RequestTemplate {
  method?: string;
  path?: string;
  setupRequest?: (request: RequestTemplate) => RequestTemplate;
}

/** The running autocannon instance's events this load test uses. */
export interface LoadInstance {
  on(
    event: 'response',
    listener: (client: unknown, statusCode: number, bytes: number, millis: number) => void,
  ): this;
  on(event: 'reqError', listener: (error: Error) => void): this;
  stop(): void;
}

/** Starts autocannon with `requests` templates. */
export function startLoad(
  options: AutocannonOptions & { requests?: RequestTemplate[] },
  callback: (error: Error | null, result: AutocannonResult) => void,
): LoadInstance {
  return autocannon(options, callback) as LoadInstance;
}

/** What one phase measured. */
export interface PhaseResult {
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly p50Millis: number;
  readonly p99Millis: number;
  /** Answers by status, plus network errors and timeouts. */
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly peakBackends: number;
  /** Server process CPU time (user + system) per answered request, in microseconds. */
  readonly cpuMicrosPerRequest: number;
  readonly probes: ProbeTimings;
}

/** Options of a phase. */
export interface PhaseOptions {
  readonly baseUrl: string;
  readonly pid: number;
  readonly adminUrl: string;
  readonly database: string;
  readonly seconds: number;
  readonly connections: number;
  readonly clients: number;
}

/** user + system CPU of a process, in microseconds, from /proc. */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Samples the database's client backends until stopped; returns the peak. */
export function sampleBackends(adminUrl: string, database: string): { stop(): Promise<number> } {
  let running = true;
  let peak = 0;
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'loadtest-sampler' });
  const done = (async () => {
    await client.connect();
    try {
      while (running) {
        const { rows } = await client.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
          [database],
        );
        peak = Math.max(peak, rows[0]?.n ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await client.end();
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return peak;
    },
  };
}

/** The request mix: three reads of one client by id, one page of 20. */
export function requestMix(clients: number): RequestTemplate[] {
  let next = 0;
  const byId = (): RequestTemplate => ({
    method: 'GET',
    setupRequest: (request) => {
      next = (next * 7 + 13) % clients;
      return { ...request, path: `/clients/${next + 1}` };
    },
  });
  return [byId(), byId(), byId(), { method: 'GET', path: '/clients?limit=20' }];
}

/**
 * Starts the probe sampler in its own process (as kubelet is), so the load
 * generator's event loop is not measured as probe latency; `stop()` returns
 * its timings.
 */
async function startProbeSampler(
  baseUrl: string,
  paths: readonly string[],
): Promise<{ stop(): Promise<ProbeTimings> }> {
  if (paths.length === 0) return { stop: async () => ({}) };
  const child = fork(fileURLToPath(new URL('./probe-sampler.ts', import.meta.url)), [baseUrl, ...paths], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const result = new Promise<ProbeTimings>((resolve, reject) => {
    child.once('message', (message) => resolve(message as ProbeTimings));
    child.once('exit', (code) => reject(new Error(`the probe sampler exited with ${code} before reporting`)));
    child.once('error', reject);
  });
  result.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return {
    async stop() {
      child.send('stop');
      return result;
    },
  };
}

/** Runs one phase. */
export async function runPhase(options: PhaseOptions, probePaths: readonly string[]): Promise<PhaseResult> {
  const backends = sampleBackends(options.adminUrl, options.database);
  const probes = await startProbeSampler(options.baseUrl, probePaths);
  const statuses: Record<string, number> = {};
  const cpuBefore = cpuMicros(options.pid);
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = startLoad(
      {
        url: options.baseUrl,
        connections: options.connections,
        duration: options.seconds,
        timeout: 10,
        requests: requestMix(options.clients),
      },
      (error, finished) => (error === null ? resolve(finished) : reject(error)),
    );
    instance.on('response', (_client, statusCode) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
  const cpu = cpuMicros(options.pid) - cpuBefore;
  const answered = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  if (result.errors > 0) statuses.errors = result.errors;
  if (result.timeouts > 0) statuses.timeouts = result.timeouts;
  return {
    requestsPerSecond: answered / result.duration,
    requests: answered,
    p50Millis: result.latency.p50,
    p99Millis: result.latency.p99,
    statuses,
    errors: result.errors + result.timeouts,
    peakBackends: await backends.stop(),
    cpuMicrosPerRequest: answered === 0 ? Number.NaN : cpu / answered,
    probes: await probes.stop(),
  };
}
