/**
 * Failed connection attempts: what a caller and the log are told when the
 * server refuses, rejects the password, has no slots left (53300), or accepts
 * TCP and never answers. Messages name host and port, never the password.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createPool } from '../../src/pool/create-pool.js';
import { ConnectError, PoolTimeoutError } from '../../src/pool/pool-errors.js';
import type { ClientAtsPool, PoolOptions } from '../../src/pool/pool-types.js';
import { freePort, startTestDatabase } from '../support/test-database.js';
import { recordingLogger, settingsFor } from './pool-test-support.js';
import type { Settings } from '../../src/contract/index.js';

const pools: ClientAtsPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end({ drainMillis: 0 })));
});

function track(settings: Settings, options: PoolOptions = {}): ClientAtsPool {
  const pool = createPool(settings, options);
  pools.push(pool);
  return pool;
}

/** The whole timeout message for these counts and cause. */
function timeoutMessage(error: PoolTimeoutError, timeoutMillis: number, cause: string | undefined): string {
  const { inUse, idle, connecting, waiting } = error.counts;
  return (
    `timeout exceeded when trying to connect: waited ${timeoutMillis} ms (POOL_TIMEOUT=` +
    `${timeoutMillis}) for a database connection: ` +
    `${inUse} in use, ${idle} idle, ${connecting} connecting, ${waiting} waiting; POOL_SIZE=1, ` +
    'POOL_COUNT=1, MAX_OVERFLOW=0 allow at most 1' +
    (cause === undefined ? '' : `; last connect error: ${cause}`)
  );
}

async function timeoutOf(pool: ClientAtsPool): Promise<PoolTimeoutError> {
  const error = await pool.query('SELECT 1').catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PoolTimeoutError);
  return error as PoolTimeoutError;
}

describe('connect errors', () => {
  it('fails when nothing listens, naming host and port', async () => {
    const port = await freePort();
    const pool = track(
      settingsFor(`postgres://app:secret@127.0.0.1:${port}/app`, { POOL_SIZE: '1', POOL_TIMEOUT: '300' }),
    );
    const error = await timeoutOf(pool);
    const cause =
      `connection to 127.0.0.1:${port} refused (ECONNREFUSED): ` +
      'is PostgreSQL running and listening on that host and port?';
    expect(error.counts).toMatchObject({ inUse: 0, idle: 0, waiting: 1 });
    expect(error.message).toBe(timeoutMessage(error, 300, cause));
    expect(error.cause).toBeInstanceOf(ConnectError);
    expect((error.cause as ConnectError).code).toBe('ECONNREFUSED');
  });

  it('fails when the password is wrong, without showing it', async () => {
    const url = new URL(inject('databaseUrl'));
    url.password = 'wrong-password-123';
    const logger = recordingLogger();
    const pool = track(settingsFor(url.toString(), { POOL_SIZE: '1', POOL_TIMEOUT: '500' }), { logger });
    const error = await timeoutOf(pool);
    expect((error.cause as Error).message).toBe(
      `password authentication failed for user "${url.username}" at 127.0.0.1:${url.port} (28P01): ` +
        'check the credentials in DATABASE_URL',
    );
    expect(JSON.stringify(logger.entries)).not.toContain('wrong-password-123');
    expect(error.message).not.toContain('wrong-password-123');
  });

  it('fails with a pointer to the connection budget when the server has no slots left (53300)', async () => {
    const database = await startTestDatabase({ maxConnections: 3, superuserReservedConnections: 0 });
    try {
      const pool = track(settingsFor(database.url, { POOL_SIZE: '5' }));
      await vi.waitFor(() => expect(pool.snapshot().lastConnectError).toBeDefined(), {
        timeout: 10_000,
        interval: 20,
      });
      expect(pool.snapshot().lastConnectError).toBe(
        `127.0.0.1:${database.port} has no connection slots left (53300: sorry, too many clients already): ` +
          'max_connections is used up; check the connection budget with `npx clientats-deploy check`',
      );
      await vi.waitFor(() => expect(pool.snapshot().pools[0]?.persistentOpen).toBe(3), {
        timeout: 10_000,
        interval: 20,
      });
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await pool.end();
    } finally {
      await database.close();
    }
  });
});

describe('a server that accepts TCP and never answers', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      // Reads (and ignores) the startup packet, so it notices when the client goes away; never answers.
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails the caller at POOL_TIMEOUT while the attempt hangs', async () => {
    const pool = track(
      settingsFor(`postgres://app:secret@127.0.0.1:${port}/app`, { POOL_SIZE: '1', POOL_TIMEOUT: '300' }),
    );
    const startedAt = performance.now();
    const error = await timeoutOf(pool);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(300);
    expect(error.message).toBe(
      'timeout exceeded when trying to connect: waited 300 ms (POOL_TIMEOUT=300) for a database connection: ' +
        '0 in use, 0 idle, 1 connecting, 1 waiting; POOL_SIZE=1, POOL_COUNT=1, MAX_OVERFLOW=0 allow at most 1',
    );
    await pool.end();
    await vi.waitFor(() => expect(sockets.size).toBe(0), { timeout: 5_000, interval: 10 });
  });

  it('gives up an attempt after POOL_CONNECT_TIMEOUT_MS and says so', async () => {
    const pool = track(
      settingsFor(`postgres://app:secret@127.0.0.1:${port}/app`, {
        POOL_SIZE: '1',
        POOL_TIMEOUT: '1000',
        POOL_CONNECT_TIMEOUT_MS: '200',
      }),
    );
    const error = await timeoutOf(pool);
    const cause =
      `connection to 127.0.0.1:${port} timed out after 200 ms (POOL_CONNECT_TIMEOUT_MS): ` +
      'the server accepted nothing or did not answer the handshake';
    expect(error.message).toBe(timeoutMessage(error, 1000, cause));
    expect((error.cause as ConnectError).code).toBe('CONNECT_TIMEOUT');
  });
});
