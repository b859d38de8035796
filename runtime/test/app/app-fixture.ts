/**
 * Shared pieces of the application-hosting tests: the runtime started
 * in-process on port 0 around a given application, with a logger whose lines
 * can be awaited (event-driven, no polling) and plain HTTP helpers.
 */
import { request as httpRequest, type Agent } from 'node:http';
import type { ApplicationFactory } from '../../src/app/application.js';
import type { HealthServer } from '../../src/health/health-server.js';
import type { Logger } from '../../src/pool/pool-types.js';
import { startRuntime } from '../../src/process/start-runtime.js';
import type { LogLine } from '../support/health-fixture.js';

/** A logger that records its lines and lets a test wait for one. */
export interface AwaitableLogger extends Logger {
  readonly lines: LogLine[];
  messages(): string[];
  /** Resolves with the first line whose message contains `text` (already logged or to come). */
  waitFor(text: string, timeoutMillis?: number): Promise<LogLine>;
}

export function awaitableLogger(): AwaitableLogger {
  const lines: LogLine[] = [];
  const watchers = new Set<(line: LogLine) => void>();
  const record =
    (level: LogLine['level']) =>
    (fields: object, message: string): void => {
      const line = { level, message, fields };
      lines.push(line);
      for (const watcher of watchers) watcher(line);
    };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    messages: () => lines.map((line) => line.message),
    waitFor(text, timeoutMillis = 20_000) {
      const found = lines.find((line) => line.message.includes(text));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(watch);
          reject(
            new Error(
              `no log line with "${text}" within ${timeoutMillis} ms; got: ` +
                `${lines.map((line) => line.message).join(' | ')}`,
            ),
          );
        }, timeoutMillis);
        const watch = (line: LogLine): void => {
          if (!line.message.includes(text)) return;
          clearTimeout(timer);
          watchers.delete(watch);
          resolve(line);
        };
        watchers.add(watch);
      });
    },
  };
}

/** The runtime hosting one application, in this process. */
export interface Hosted {
  readonly server: HealthServer;
  readonly url: string;
  readonly logger: AwaitableLogger;
  /** Exit codes the runtime asked for. */
  readonly exits: number[];
  /** Shuts the runtime down (no delay); safe to call twice. */
  stop(): Promise<void>;
}

/** Starts `startRuntime({ app })` on port 0 with a small pool and fast readiness checks. */
export async function startHosted(
  databaseUrl: string,
  app: ApplicationFactory,
  env: Record<string, string> = {},
): Promise<Hosted> {
  const logger = awaitableLogger();
  const exits: number[] = [];
  let hostedPool: Parameters<ApplicationFactory>[0]['pool'] | undefined;
  const server = await startRuntime({
    env: {
      DATABASE_URL: databaseUrl,
      POOL_SIZE: '2',
      READINESS_INTERVAL_MS: '100',
      SHUTDOWN_DELAY_MS: '0',
      SHUTDOWN_DRAIN_MS: '5000',
      ...env,
    },
    app: (context) => {
      hostedPool = context.pool;
      return app(context);
    },
    port: 0,
    logger,
    signals: [],
    exit: (code) => {
      exits.push(code);
    },
    writeError: (line) => logger.error({}, line),
  });
  if (server === undefined) throw new Error(`the runtime did not start: ${logger.messages().join(' | ')}`);
  // Tests with a short POOL_TIMEOUT start once the prefilled connections are open: on a loaded machine
  // opening them can take longer than POOL_TIMEOUT, and the first request would time out for that alone.
  const deadline = Date.now() + 60_000;
  while (hostedPool !== undefined && hostedPool.snapshot().idle < hostedPool.snapshot().poolSize) {
    if (Date.now() > deadline) throw new Error('the hosted pool did not open its connections within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { server, url: server.url, logger, exits, stop: () => server.shutdown({ delayMillis: 0 }) };
}

/** A whole HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with node:http; rejects with the network error (its `code`, e.g. ECONNREFUSED). */
export function send(
  url: string,
  options: { method?: string; body?: string; agent?: Agent | false; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers:
          options.body === undefined
            ? options.headers
            : { 'content-type': 'application/json', ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if (!response.complete) reject(new Error('the answer was cut short'));
          else
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** A promise with its resolve function, for holding a request open until a test lets it go. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
