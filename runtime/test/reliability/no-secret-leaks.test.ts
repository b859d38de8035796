/**
 * No secret leaves the runtime or the generator: the database password and the
 * diagnostics token never appear in log lines (the real pino output stream),
 * settings errors, pool errors, diagnostics bodies, metrics text or anything
 * under `dist/`, and no URL with credentials does either.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { HEALTH_PATHS, loadSettings, parseDatabaseUrl } from '../../src/contract/index.js';
import type { HealthServer } from '../../src/health/health-server.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { createPool } from '../../src/pool/create-pool.js';
import { startRuntime } from '../../src/process/start-runtime.js';
import { freePort } from '../support/test-database.js';
import { waitUntil } from './support/server-view.js';

const TOKEN = 'tok_Leak-Canary-5d1e';
const WRONG_PASSWORD = 'pw_Wrong-Canary-88b2';
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
/** A URL that still carries a password: `scheme://user:secret@`, where the secret is not the `***` mask. */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s"'/@:]*:(?!\*\*\*@)[^\s"'/@]+@/gi;

/** Everything the runtime wrote or answered, for the scan. */
class Capture {
  readonly texts: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      this.texts.push(chunk.toString('utf8'));
      done();
    },
  });
  add(label: string, text: string): void {
    this.texts.push(`[${label}] ${text}`);
  }
  all(): string {
    return this.texts.join('\n');
  }
}

/** Lines of `text` that contain `needle`, for a readable failure. */
function linesWith(text: string, needle: string | RegExp): string[] {
  return text
    .split('\n')
    .filter((line) => (typeof needle === 'string' ? line.includes(needle) : line.match(needle) !== null));
}

describe('secrets stay out of every output', () => {
  const databaseUrl = inject('databaseUrl');
  const password = parseDatabaseUrl(databaseUrl).password ?? '';
  const capture = new Capture();
  const servers: HealthServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.shutdown({ delayMillis: 0 });
  });

  async function run(env: Record<string, string>): Promise<HealthServer | undefined> {
    const logger = createLogger({ level: 'debug', destination: capture.stream });
    const exits: number[] = [];
    const server = await startRuntime({
      env: { READINESS_INTERVAL_MS: '100', SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'debug', ...env },
      logger,
      exit: (code) => exits.push(code),
      writeError: (line) => capture.add('stderr', line),
      signals: [],
    });
    if (server !== undefined) servers.push(server);
    capture.add('exits', JSON.stringify(exits));
    return server;
  }

  async function collectHttp(server: HealthServer, label: string): Promise<void> {
    for (const [path, headers] of [
      [HEALTH_PATHS.liveness, {}],
      [HEALTH_PATHS.readiness, {}],
      [HEALTH_PATHS.diagnostics, { authorization: `Bearer ${TOKEN}` }],
      [HEALTH_PATHS.diagnostics, { authorization: 'Bearer wrong' }],
      [HEALTH_PATHS.metrics, {}],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { headers });
      capture.add(
        `${label} ${path} ${response.status}`,
        `${JSON.stringify([...response.headers])}\n${await response.text()}`,
      );
    }
  }

  it('has a real password and token to look for', () => {
    expect(password.length).toBeGreaterThan(8);
    expect(databaseUrl).toContain(`:${password}@`);
  });

  it('keeps them out of logs, pool errors, diagnostics and metrics of a healthy runtime', async () => {
    const server = await run({
      DATABASE_URL: databaseUrl,
      HEALTH_CHECK_TOKEN: TOKEN,
      PORT: String(await freePort()),
      POOL_SIZE: '2',
    });
    expect(server).toBeDefined();
    await waitUntil(
      'readiness healthy',
      async () => (await fetch(`${server!.url}${HEALTH_PATHS.readiness}`)).status === 200,
      10_000,
    );
    await collectHttp(server!, 'healthy');
    await server!.shutdown({ delayMillis: 0 });
    const text = capture.all();
    expect(text).toContain('connection pool starting');
    expect(linesWith(text, password)).toEqual([]);
    expect(linesWith(text, TOKEN)).toEqual([]);
    expect(linesWith(text, URL_CREDENTIALS)).toEqual([]);
  });

  it('keeps them out of what a runtime with the wrong password logs and answers', async () => {
    const wrongUrl = databaseUrl.replace(`:${password}@`, `:${WRONG_PASSWORD}@`);
    const server = await run({
      DATABASE_URL: wrongUrl,
      HEALTH_CHECK_TOKEN: TOKEN,
      PORT: String(await freePort()),
      POOL_SIZE: '1',
      POOL_TIMEOUT: '300',
    });
    expect(server).toBeDefined();
    await waitUntil(
      'readiness reports the failure',
      async () => (await fetch(`${server!.url}${HEALTH_PATHS.readiness}`)).status === 503,
      10_000,
    );
    await collectHttp(server!, 'wrong-password');
    await server!.shutdown({ delayMillis: 0 });
    const pool = createPool(loadSettings({ DATABASE_URL: wrongUrl, POOL_SIZE: '1', POOL_TIMEOUT: '300' }), {
      logger: createLogger({ level: 'debug', destination: capture.stream }),
    });
    const error = await pool.query('SELECT 1').then(
      () => undefined,
      (failure: Error) => failure,
    );
    await pool.end({ drainMillis: 0 });
    expect(error).toMatchObject({ code: 'POOL_TIMEOUT' });
    capture.add(
      'pool error',
      `${error!.message}\ncause: ${String((error!.cause as Error | undefined)?.message)}\n${JSON.stringify(error)}`,
    );
    const text = capture.all();
    expect(text).toMatch(/28P01|password authentication failed/);
    expect(linesWith(text, WRONG_PASSWORD)).toEqual([]);
    expect(linesWith(text, password)).toEqual([]);
    expect(linesWith(text, URL_CREDENTIALS)).toEqual([]);
  });

  it('keeps them out of the lines that reject bad settings', async () => {
    const server = await run({
      DATABASE_URL: `postgres://app:${WRONG_PASSWORD}#x@db:5432/app`,
      HEALTH_CHECK_TOKEN: TOKEN,
      POOL_SIZE: 'abc',
      PORT: '0',
    });
    expect(server).toBeUndefined();
    const text = capture.all();
    expect(text).toContain('[exits] [1]');
    expect(text).toContain('DATABASE_URL is not a URL');
    expect(linesWith(text, WRONG_PASSWORD)).toEqual([]);
    expect(linesWith(text, TOKEN)).toEqual([]);
    expect(linesWith(text, URL_CREDENTIALS)).toEqual([]);
  });

  it('writes no credentials into dist/', () => {
    const dist = join(REPOSITORY, 'dist');
    const files = existsSync(dist) ? listFiles(dist) : [];
    expect(files.length).toBeGreaterThan(0);
    const leaks: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const relative = file.slice(REPOSITORY.length);
      if (text.includes(password)) leaks.push(`${relative}: the test database password`);
      for (const match of text.match(URL_CREDENTIALS) ?? []) {
        if (
          !DEVELOPMENT_CREDENTIALS.some(
            (allowed) => relative.endsWith(allowed.file) && match.includes(allowed.credentials),
          )
        )
          leaks.push(`${relative}: ${match}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});

/**
 * The guide's local development database (`ecto://postgres:postgres@db`) is a
 * throwaway container defined in the same Compose file; its well-known password
 * is the one literal credential dist/ may carry (the match ends at `@`).
 */
const DEVELOPMENT_CREDENTIALS = [
  { file: 'docker-compose.dev.yml', credentials: 'ecto://postgres:postgres@' },
];

function listFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...listFiles(path));
    else files.push(path);
  }
  return files;
}
