import { existsSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { validateEnvironment } from '../../src/contract/load-settings.js';
import { eventually } from '../support/health-fixture.js';
import { spawnRuntime, type RuntimeProcess } from '../support/runtime-process.js';
import { freePort, startTestDatabase } from '../support/test-database.js';

const started: RuntimeProcess[] = [];
const run = (env: Record<string, string>, entry: 'source' | 'bin' = 'source'): RuntimeProcess => {
  const runtime = spawnRuntime(env, entry);
  started.push(runtime);
  return runtime;
};
afterEach(async () => {
  for (const runtime of started.splice(0)) await runtime.stop();
});

const status = async (port: number, path: string): Promise<number> =>
  (await fetch(`http://127.0.0.1:${port}${path}`)).status;

describe('the clientats-runtime process', () => {
  it('serves, and on SIGTERM under load answers 503 on readiness, drains the pool and exits 0', async () => {
    const port = await freePort();
    const runtime = run(
      {
        DATABASE_URL: inject('databaseUrl'),
        PORT: String(port),
        POOL_SIZE: '3',
        SHUTDOWN_DELAY_MS: '1500',
        READINESS_INTERVAL_MS: '200',
      },
      'bin',
    );
    await runtime.waitForLog('connection pool ready');
    expect(await eventually(async () => (await status(port, '/health/ready')) === 200)).toBe(true);
    // Load: probes and scrapes in a loop until the listener closes.
    let stopLoad = false;
    const statuses: number[] = [];
    const load = (async () => {
      for (let request = 0; request < 5000 && !stopLoad; request += 1) {
        try {
          statuses.push(await status(port, request % 2 === 0 ? '/health/ready' : '/metrics'));
        } catch {
          return;
        }
      }
    })();
    await eventually(() => statuses.length > 20);
    runtime.child.kill('SIGTERM');
    await runtime.waitForLog('shutdown started');
    expect(await status(port, '/health/ready')).toBe(503);
    expect(await status(port, '/health')).toBe(200);
    expect(await runtime.exited).toBe(0);
    stopLoad = true;
    await load;
    expect(statuses).toContain(503);
    const messages = runtime.lines.map((line) => line.msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        'SIGTERM received: graceful shutdown of the server and the connection pool',
        'shutdown started: readiness answers 503; the listener closes after the shutdown delay',
        'shutdown: stopped accepting HTTP connections; draining the connection pool',
        'shutdown: connection pool closed',
        'shutdown complete',
      ]),
    );
    expect(runtime.stderr()).toBe('');
  });

  it('logs the pool start with the password redacted, in lines grep -i "pool\\|connection" finds', async () => {
    const port = await freePort();
    const url = inject('databaseUrl');
    const password = decodeURIComponent(new URL(url).password);
    const runtime = run({ DATABASE_URL: url, PORT: String(port), POOL_SIZE: '2', SHUTDOWN_DELAY_MS: '0' });
    await runtime.waitForLog('connection pool ready');
    await runtime.waitForLog('database connection for readiness checks established');
    runtime.child.kill('SIGTERM');
    expect(await runtime.exited).toBe(0);
    expect(runtime.stdout()).not.toContain(password);
    const start = runtime.lines.find((line) => line.msg.startsWith('connection pool starting'));
    expect((start?.settings as { databaseUrl: string }).databaseUrl).toBe(
      url.replace(`:${encodeURIComponent(password)}@`, ':***@'),
    );
    const lifecycle = runtime.lines
      .filter((line) => /pool|connection/i.test(line.msg))
      .map((line) => line.msg);
    expect(lifecycle).toEqual(
      expect.arrayContaining([
        'pool connection opened',
        'database connection for readiness checks established: ready',
        'shutdown: connection pool closed',
      ]),
    );
  });

  it(
    'stays up with the database down at start: /health 200, /health/ready 503, ' +
      'then ready once PostgreSQL starts',
    async () => {
      const database = await startTestDatabase();
      try {
        await database.stop();
        const port = await freePort();
        const runtime = run({
          DATABASE_URL: database.url,
          PORT: String(port),
          POOL_SIZE: '2',
          READINESS_INTERVAL_MS: '200',
          SHUTDOWN_DELAY_MS: '0',
        });
        await runtime.waitForLog('health server listening');
        await runtime.waitForLog('database connection unavailable at start');
        // Several check periods and pool retries later the process is still there and still not ready.
        for (let check = 0; check < 5; check += 1) {
          expect(await status(port, '/health')).toBe(200);
          expect(await status(port, '/health/ready')).toBe(503);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(runtime.child.exitCode).toBeNull();
        await database.start();
        await runtime.waitForLog('connection pool ready');
        expect(await eventually(async () => (await status(port, '/health/ready')) === 200)).toBe(true);
        runtime.child.kill('SIGTERM');
        expect(await runtime.exited).toBe(0);
      } finally {
        await database.close();
      }
    },
  );

  it('exits 0 on SIGTERM while the database is still down', async () => {
    const port = await freePort();
    const runtime = run({
      DATABASE_URL: `postgres://nobody:secret@127.0.0.1:${await freePort()}/none`,
      PORT: String(port),
      SHUTDOWN_DELAY_MS: '0',
      SHUTDOWN_DRAIN_MS: '500',
    });
    await runtime.waitForLog('database connection unavailable at start');
    runtime.child.kill('SIGTERM');
    expect(await runtime.exited).toBe(0);
  });

  it('exits at once with code 1 on a second signal during the shutdown delay', async () => {
    const port = await freePort();
    const runtime = run({
      DATABASE_URL: inject('databaseUrl'),
      PORT: String(port),
      POOL_SIZE: '1',
      SHUTDOWN_DELAY_MS: '60000',
    });
    await runtime.waitForLog('health server listening');
    runtime.child.kill('SIGTERM');
    await runtime.waitForLog('shutdown started');
    runtime.child.kill('SIGINT');
    expect(await runtime.exited).toBe(1);
    expect(runtime.lines.map((line) => line.msg)).toContain(
      'second SIGINT during shutdown: exiting at once, connections not drained',
    );
  });

  it(
    'fails with exit code 1 and one line per bad variable, without a stack trace, ' +
      'when the environment is invalid',
    async () => {
      const env = { DATABASE_URL: 'mysql://user:hunter2@db/app', POOL_SIZE: 'abc', PORT: '70000' };
      const runtime = run(env);
      expect(await runtime.exited).toBe(1);
      expect(runtime.stderr()).toBe(
        [
          'DATABASE_URL must start with postgres://, postgresql:// or ecto://, got "mysql://user:***@db/app"',
          'POOL_SIZE must be an integer from 1 to 10000, got "abc"',
          'PORT must be an integer from 1 to 65535, got "70000"',
          '',
        ].join('\n'),
      );
      expect(runtime.stderr().split('\n').slice(0, -1)).toEqual(
        validateEnvironment(env).map((problem) => problem.message),
      );
      expect(runtime.stdout()).toBe('');
    },
  );

  it(
    'starts an embedded PostgreSQL when DATABASE_URL is unset outside production, says so, ' +
      'and removes it on shutdown',
    async () => {
      const port = await freePort();
      const runtime = run({
        PORT: String(port),
        POOL_SIZE: '2',
        SHUTDOWN_DELAY_MS: '0',
        NODE_ENV: 'development',
      });
      const announced = await runtime.waitForLog(
        'DATABASE_URL is not set: started an embedded PostgreSQL',
        60_000,
      );
      await runtime.waitForLog('connection pool ready', 30_000);
      expect(await eventually(async () => (await status(port, '/health/ready')) === 200)).toBe(true);
      const dataDirectory = announced.dataDirectory as string;
      expect(existsSync(dataDirectory)).toBe(true);
      runtime.child.kill('SIGTERM');
      expect(await runtime.exited).toBe(0);
      expect(existsSync(dataDirectory)).toBe(false);
    },
  );
});
