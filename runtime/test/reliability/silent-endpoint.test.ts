/**
 * Fault: the database address accepts TCP connections and never answers (a
 * black-holed proxy, a hung server). Every caller must get its answer after
 * POOL_TIMEOUT, never hang; and `end()` must close every socket it opened.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { createPool } from '../../src/pool/create-pool.js';
import { ms, recordFigures } from './support/figures.js';

const POOL_TIMEOUT = 500;
const CALLERS = 20;
/** Far beyond POOL_TIMEOUT: a caller still waiting then is hanging. */
const HANG_GUARD_MILLIS = 15_000;

describe('a TCP endpoint that accepts and never answers', () => {
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  let accepted = 0;
  beforeAll(async () => {
    server = createServer((socket) => {
      accepted += 1;
      sockets.add(socket);
      // Read and discard, never answer: a paused socket would not notice the client closing it.
      socket.resume();
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it(
    'answers every caller with a pool timeout no earlier than POOL_TIMEOUT, and end() ' +
      'closes every socket',
    async () => {
      const settings = loadSettings({
        DATABASE_URL: `postgres://app:silent-secret@127.0.0.1:${port}/app`,
        POOL_SIZE: '2',
        MAX_OVERFLOW: '1',
        POOL_TIMEOUT: String(POOL_TIMEOUT),
        POOL_CONNECT_TIMEOUT_MS: '30000',
      });
      const pool = createPool(settings, { applicationName: 'reliability-silent' });
      try {
        const outcomes = await Promise.all(
          Array.from({ length: CALLERS }, async (_, caller) => {
            const startedAt = performance.now();
            const work =
              caller % 2 === 0 ? pool.query('SELECT 1') : pool.connect().then((client) => client.release());
            const outcome = await settleWithin(work, HANG_GUARD_MILLIS);
            return { ...outcome, waitedMillis: performance.now() - startedAt };
          }),
        );
        expect(outcomes.filter((outcome) => outcome.kind !== 'rejected')).toEqual([]);
        for (const outcome of outcomes) {
          expect(outcome.error).toMatchObject({ code: 'POOL_TIMEOUT' });
          expect(outcome.error?.message).not.toContain('silent-secret');
          expect(outcome.waitedMillis).toBeGreaterThanOrEqual(POOL_TIMEOUT - 1);
        }
        expect(accepted).toBeGreaterThan(0);
        expect(accepted).toBeLessThanOrEqual(settings.poolSize + settings.maxOverflow + CALLERS);
        recordFigures('silent-endpoint', {
          callers: CALLERS,
          poolTimeoutMillis: POOL_TIMEOUT,
          connectTimeoutMillis: settings.connectTimeoutMillis,
          callersAnswered: outcomes.length,
          longestWaitMillis: ms(Math.max(...outcomes.map((outcome) => outcome.waitedMillis))),
          socketsAccepted: accepted,
          error: outcomes[0]?.error?.message,
        });
      } finally {
        await settleWithin(pool.end({ drainMillis: 500 }), HANG_GUARD_MILLIS);
      }
      await settleWithin(waitForSockets(sockets), HANG_GUARD_MILLIS);
      expect(sockets.size).toBe(0);
    },
  );
});

type Settled =
  | { kind: 'fulfilled'; error?: undefined }
  | { kind: 'rejected'; error: Error & { code?: string } }
  | { kind: 'hung'; error?: undefined };

/** Settles `work`, or reports it hung after `guardMillis` (the guard timer is cleared either way). */
async function settleWithin(work: Promise<unknown>, guardMillis: number): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hung' }), guardMillis);
  });
  try {
    return await Promise.race([
      work.then(
        (): Settled => ({ kind: 'fulfilled' }),
        (error: Error): Settled => ({ kind: 'rejected', error }),
      ),
      guard,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once every accepted socket has been closed by its client. Bounded by the caller's guard. */
async function waitForSockets(sockets: Set<Socket>): Promise<void> {
  for (let attempt = 0; attempt < 300 && sockets.size > 0; attempt += 1)
    await new Promise((resolve) => setTimeout(resolve, 50));
}
