/**
 * The health server against a bare `node:http` server answering the same
 * bytes: requests/s from autocannon (10 connections, in the bench process) and
 * the server process's CPU per request (the steadier figure: it does not move
 * when the load generator, not the server, is the bottleneck). Also the time to
 * render `/metrics` after real queries have filled its histograms.
 */
import { createServer, get } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AutocannonResult } from 'autocannon';
import { HEALTH_PATHS } from '../src/contract/index.js';
import { compare, defined, type BenchSection, type Measurement } from './bench-report.js';
import { alternate, type BenchContext, type Cell } from './bench-context.js';
import { ourHealthServerUnavailable, startOurHealthServer } from './contenders/our-runtime.js';
import type { ServerChild } from './trial-runner.js';
import { percentiles, summarize } from './statistics.js';

/** A canned answer of the bare server. */
export interface CannedResponse {
  readonly status: number;
  /** `[name, value, …]` exactly as received (case kept), transport headers left out. */
  readonly headers: readonly string[];
  readonly body: string;
}

/** A server child: the bare server with canned answers, or ours on a real pool. */
export type HttpServerTask =
  | {
      readonly kind: 'http-server';
      readonly server: 'bare';
      readonly responses: Readonly<Record<string, CannedResponse>>;
    }
  | {
      readonly kind: 'http-server';
      readonly server: 'ours';
      readonly databaseUrl: string;
      readonly warmQueries: number;
    };

/** Worker side: starts the server on loopback port 0; resolves with its port and a close function. */
export async function startHttpServer(
  task: HttpServerTask,
): Promise<{ port: number; close(): Promise<void> }> {
  if (task.server === 'ours')
    return startOurHealthServer({ databaseUrl: task.databaseUrl, warmQueries: task.warmQueries });
  const answers = new Map(
    Object.entries(task.responses).map(([path, response]) => [
      path,
      {
        status: response.status,
        headers: [...response.headers],
        body: Buffer.from(response.body),
      },
    ]),
  );
  const server = createServer((request, response) => {
    const answer = answers.get(request.url ?? '');
    if (answer === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(answer.status, answer.headers).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Headers that node:http adds by itself or that describe the connection, not the answer. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

/** Gets a path and keeps what the bare server must repeat: status, raw headers, body. */
async function capture(port: number, path: string): Promise<CannedResponse> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false, timeout: 5_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const headers: string[] = [];
        for (let index = 0; index < response.rawHeaders.length; index += 2) {
          const name = response.rawHeaders[index]!;
          if (!TRANSPORT_HEADERS.has(name.toLowerCase())) headers.push(name, response.rawHeaders[index + 1]!);
        }
        resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path} timed out after 5 s`)));
    request.on('error', reject);
  });
}

/** Waits (bounded) until `/health/ready` says 200, then captures it. */
async function captureReady(port: number): Promise<CannedResponse> {
  let last: CannedResponse | undefined;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    last = await capture(port, HEALTH_PATHS.readiness);
    if (last.status === 200) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `our ${HEALTH_PATHS.readiness} never answered 200 within 10 s; last answer ${last?.status}: ${last?.body}`,
  );
}

/** What the bare server answers when ours cannot be measured: the contract's bodies. */
const CONTRACT_RESPONSES: Readonly<Record<string, CannedResponse>> = {
  [HEALTH_PATHS.liveness]: {
    status: 200,
    headers: ['Content-Type', 'application/json', 'Content-Length', '15'],
    body: '{"status":"ok"}',
  },
  [HEALTH_PATHS.readiness]: {
    status: 200,
    headers: ['Content-Type', 'application/json', 'Content-Length', '67'],
    body: '{"status":"healthy","database":{"status":"healthy","latency_ms":1}}',
  },
};

async function load(url: string, seconds: number): Promise<AutocannonResult> {
  // Imported here so server children (which import this module) do not load the load generator.
  const { default: autocannon } = await import('autocannon');
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 10, pipelining: 1, duration: seconds, timeout: 10 }, (error, result) => {
      if (error !== null) reject(error);
      else resolve(result);
    });
  });
}

interface LoadResult {
  readonly requestsPerSecond: number;
  readonly serverCpuMicrosPerRequest: number;
  readonly failures: number;
}

async function measure(server: ServerChild, path: string, seconds: number): Promise<LoadResult> {
  const before = await server.cpuUsage();
  const result = await load(`http://127.0.0.1:${server.port}${path}`, seconds);
  const after = await server.cpuUsage();
  const answered = result['2xx'] + result.non2xx;
  const cpuMicros = after.user - before.user + after.system - before.system;
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    serverCpuMicrosPerRequest: answered > 0 ? cpuMicros / answered : Number.NaN,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Sequential GETs of `/metrics`; client-side latency in ms. */
async function measureMetrics(
  port: number,
  requests: number,
): Promise<{ p50: number; p99: number; bytes: number }> {
  const latencies = new Float64Array(requests);
  let bytes = 0;
  for (let index = 0; index < requests; index += 1) {
    const start = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}${HEALTH_PATHS.metrics}`);
    const body = await response.text();
    latencies[index] = performance.now() - start;
    if (response.status !== 200)
      throw new Error(`${HEALTH_PATHS.metrics} answered ${response.status}: ${body.slice(0, 200)}`);
    bytes = Buffer.byteLength(body);
  }
  const [p50, p99] = percentiles(latencies, requests, [0.5, 0.99]);
  return { p50: p50!, p99: p99!, bytes };
}

/** Parent side: the section. */
export async function benchHealthServer(context: BenchContext): Promise<BenchSection> {
  const oursMissing = ourHealthServerUnavailable();
  const notes = [
    'autocannon in the bench process, 10 connections, pipelining 1; each server in its own Node process.',
    'server CPU = process.cpuUsage() of the server process over the load, divided by the requests answered.',
  ];
  const servers: ServerChild[] = [];
  try {
    let ours: ServerChild | undefined;
    let responses = CONTRACT_RESPONSES;
    if (oursMissing === undefined) {
      ours = await context.server(
        {
          kind: 'http-server',
          server: 'ours',
          databaseUrl: context.databaseUrl,
          warmQueries: 2_000,
        } satisfies HttpServerTask,
        'ours',
      );
      servers.push(ours);
      responses = {
        [HEALTH_PATHS.liveness]: await capture(ours.port, HEALTH_PATHS.liveness),
        [HEALTH_PATHS.readiness]: await captureReady(ours.port),
      };
      notes.push(
        'the bare server repeats our status, headers and body byte for byte: ' +
          `${HEALTH_PATHS.liveness} → ${responses[HEALTH_PATHS.liveness]!.body}`,
      );
    } else {
      notes.push(`ours skipped: ${oursMissing}; the bare server answers the contract's bodies`);
    }
    const bare = await context.server(
      { kind: 'http-server', server: 'bare', responses } satisfies HttpServerTask,
      'bare-http',
    );
    servers.push(bare);

    const targets: { label: string; server: ServerChild; path: string }[] = [];
    for (const path of [HEALTH_PATHS.liveness, HEALTH_PATHS.readiness]) {
      targets.push({ label: `bare node:http ${path}`, server: bare, path });
      if (ours !== undefined) targets.push({ label: `ours ${path}`, server: ours, path });
    }
    for (const target of targets)
      await load(
        `http://127.0.0.1:${target.server.port}${target.path}`,
        Math.max(0.2, context.options.warmupSeconds),
      );
    const cells: Cell<LoadResult>[] = targets.map((target) => ({
      label: target.label,
      run: () => measure(target.server, target.path, context.options.seconds),
    }));
    const results = await alternate(context, cells);
    const measurements: Measurement[] = [...results].map(([label, runs]) => ({
      label,
      metrics: {
        'requests/s': summarize(runs.map((run) => run.requestsPerSecond)),
        'server CPU µs/request': summarize(runs.map((run) => run.serverCpuMicrosPerRequest)),
      },
      facts: { failures: runs.reduce((sum, run) => sum + run.failures, 0) },
    }));
    if (ours !== undefined) {
      const renders = context.options.quick ? 10 : 200;
      const samples = [];
      for (let repetition = 0; repetition < context.options.repetitions; repetition += 1)
        samples.push(await measureMetrics(ours.port, renders));
      measurements.push({
        label: `ours ${HEALTH_PATHS.metrics}`,
        metrics: {
          'render p50 ms': summarize(samples.map((sample) => sample.p50)),
          'render p99 ms': summarize(samples.map((sample) => sample.p99)),
        },
        facts: { bytes: samples.at(-1)!.bytes, 'sequential requests per repetition': renders },
      });
      notes.push(
        `${HEALTH_PATHS.metrics}: sequential fetches from the bench process after 2,000 queries ` +
          'through the pool; latency includes loopback HTTP.',
      );
    }
    const comparisons = defined([
      compare(
        measurements,
        `ours ${HEALTH_PATHS.liveness}`,
        `bare node:http ${HEALTH_PATHS.liveness}`,
        'requests/s',
        { target: { operator: '>=', value: 0.9 } },
      ),
      compare(
        measurements,
        `ours ${HEALTH_PATHS.readiness}`,
        `bare node:http ${HEALTH_PATHS.readiness}`,
        'requests/s',
        { target: { operator: '>=', value: 0.9 } },
      ),
      compare(
        measurements,
        `ours ${HEALTH_PATHS.liveness}`,
        `bare node:http ${HEALTH_PATHS.liveness}`,
        'server CPU µs/request',
      ),
      compare(
        measurements,
        `ours ${HEALTH_PATHS.readiness}`,
        `bare node:http ${HEALTH_PATHS.readiness}`,
        'server CPU µs/request',
      ),
    ]);
    return {
      name: 'health-server',
      title: 'Health server vs bare node:http',
      measurements,
      comparisons,
      notes,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
