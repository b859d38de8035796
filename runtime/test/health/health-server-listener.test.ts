/**
 * The listener: HOST chooses the address, and clients that are slow to send
 * their request (slowloris) or send nothing are disconnected after the
 * headers timeout instead of holding a socket for Node's default 60 s.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { testSettings } from '../support/health-fixture.js';

/** Far beyond the headers timeout the tests set: a socket still open then is being held. */
const GUARD_MILLIS = 20_000;

const opened: Array<{ server: HealthServer; pool: ClientAtsPool }> = [];
afterEach(async () => {
  for (const { server, pool } of opened.splice(0)) {
    await server.close();
    await pool.end({ drainMillis: 0 });
  }
});

async function start(
  env: Record<string, string>,
  options: { headersTimeoutMillis?: number; host?: string } = {},
): Promise<HealthServer> {
  const settings = testSettings(inject('databaseUrl'), { POOL_SIZE: '1', ...env });
  const pool = createPool(settings);
  const server = await createHealthServer({ pool, settings, port: 0, ...options });
  opened.push({ server, pool });
  return server;
}

/** Resolves with what the server sent once it closed the socket, or `undefined` if it did not within the guard. */
function closedByServer(socket: Socket): Promise<string | undefined> {
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  return new Promise((resolve) => {
    const guard = setTimeout(() => resolve(undefined), GUARD_MILLIS);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(received);
    });
    socket.on('error', () => undefined);
  });
}

describe('health server listener', () => {
  it('listens on the address HOST names', async () => {
    const server = await start({ HOST: '127.0.0.1' });
    expect((server.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('listens on every interface when HOST is unset', async () => {
    const server = await start({});
    expect(['::', '0.0.0.0']).toContain((server.server.address() as AddressInfo).address);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('disconnects a client that trickles its headers (slowloris) with 408 after the headers timeout', async () => {
    const server = await start({}, { host: '127.0.0.1', headersTimeoutMillis: 400 });
    const socket = connect(server.port, '127.0.0.1');
    const closed = closedByServer(socket);
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n');
    // One more header byte every 50 ms, never the blank line that ends the headers; bounded by the guard.
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('X');
    }, 50);
    const startedAt = performance.now();
    try {
      const received = await closed;
      expect(received).toBeDefined();
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(350);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  it('disconnects a client that connects and sends nothing after the headers timeout', async () => {
    const server = await start({}, { host: '127.0.0.1', headersTimeoutMillis: 400 });
    const socket = connect(server.port, '127.0.0.1');
    try {
      expect(await closedByServer(socket)).toBeDefined();
    } finally {
      socket.destroy();
    }
  });
});
