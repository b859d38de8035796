/**
 * Graceful shutdown with an application: readiness 503 at once, then the
 * listener closes and idle keep-alive sockets with it, the request in flight
 * finishes (and may still use the pool), and only then the pool drains.
 */
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { ApplicationFactory } from '../../src/app/application.js';
import { HEALTH_PATHS } from '../../src/contract/http-contract.js';
import { gate, send, startHosted, type Hosted } from './app-fixture.js';

describe('shutdown of the runtime hosting an application', () => {
  const started: Hosted[] = [];
  afterAll(async () => {
    for (const hosted of started) await hosted.stop();
  });

  it(
    'lets a request in flight finish with the pool, closes idle keep-alive sockets, ' +
      'then drains the pool',
    async () => {
      const released = gate();
      let entered: () => void = () => undefined;
      const slowEntered = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const app: ApplicationFactory =
        ({ pool }) =>
        async (request, response) => {
          if (request.url === '/slow') {
            entered();
            await released.promise;
            // After the listener closed: the pool must still serve the request that had started.
            const { rows } = await pool.query<{ n: number }>('SELECT 7 AS n');
            response.end(`slow ${rows[0]?.n}`);
          } else {
            response.end('fast');
          }
        };
      const hosted = await startHosted(inject('databaseUrl'), app);
      started.push(hosted);
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      try {
        // One keep-alive socket that is idle when the shutdown comes.
        expect(await send(`${hosted.url}/fast`, { agent })).toMatchObject({ status: 200, body: 'fast' });
        const idleSockets = Object.values(agent.freeSockets).flat() as Socket[];
        expect(idleSockets).toHaveLength(1);
        const idleClosed = new Promise<void>((resolve) => idleSockets[0]?.once('close', () => resolve()));

        const slow = send(`${hosted.url}/slow`);
        await slowEntered;
        const shutdown = hosted.server.shutdown({ delayMillis: 0 });
        expect(hosted.server.shuttingDown).toBe(true);
        await hosted.logger.waitFor('shutdown: stopped accepting HTTP connections');
        await idleClosed;
        await expect(send(`${hosted.url}${HEALTH_PATHS.liveness}`)).rejects.toMatchObject({
          code: 'ECONNREFUSED',
        });
        expect(hosted.logger.messages()).not.toContain('shutdown: connection pool closed');

        released.open();
        const answer = await slow;
        await shutdown;
        expect(answer).toMatchObject({ status: 200, body: 'slow 7' });
        expect(answer.headers.connection).toBe('close');
        const order = hosted.logger.messages().filter((message) => message.startsWith('shutdown'));
        expect(order).toEqual([
          'shutdown started: readiness answers 503; the listener closes after the shutdown delay',
          'shutdown: stopped accepting HTTP connections; draining the connection pool',
          'shutdown: requests in flight answered',
          'shutdown: connection pool closed',
          'shutdown complete',
        ]);
        expect(hosted.server.requestsInFlight).toBe(0);
      } finally {
        agent.destroy();
        released.open();
      }
    },
  );

  it(
    'answers readiness 503 and keeps serving the application, with Connection: close, ' +
      'during the shutdown delay',
    async () => {
      const app: ApplicationFactory = () => (_request, response) => {
        response.end('still here');
      };
      // Long enough for two local requests on a loaded machine; the test then waits it out.
      const hosted = await startHosted(inject('databaseUrl'), app, { SHUTDOWN_DELAY_MS: '5000' });
      started.push(hosted);
      const shutdown = hosted.server.shutdown();
      await hosted.logger.waitFor('shutdown started');
      const ready = await send(`${hosted.url}${HEALTH_PATHS.readiness}`);
      expect(ready).toMatchObject({ status: 503, body: '{"status":"unhealthy","reason":"shutting down"}' });
      const answer = await send(`${hosted.url}/clients`, { agent: new Agent({ keepAlive: true }) });
      expect(answer).toMatchObject({ status: 200, body: 'still here' });
      expect(answer.headers.connection).toBe('close');
      expect(hosted.logger.messages()).not.toContain(
        'shutdown: stopped accepting HTTP connections; draining the connection pool',
      );
      await shutdown;
      expect(hosted.logger.messages()).toContain('shutdown complete');
    },
  );

  it('stops waiting for a request that outlasts SHUTDOWN_DRAIN_MS, says so, and still closes the pool', async () => {
    const never = gate();
    let entered: () => void = () => undefined;
    const stuckEntered = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const app: ApplicationFactory = () => async (_request, response) => {
      entered();
      await never.promise;
      response.end('late');
    };
    const hosted = await startHosted(inject('databaseUrl'), app, { SHUTDOWN_DRAIN_MS: '300' });
    started.push(hosted);
    const stuck = send(`${hosted.url}/stuck`).catch((error: Error) => error);
    await stuckEntered;
    await hosted.server.shutdown({ delayMillis: 0 });
    never.open();
    expect(hosted.logger.messages()).toEqual(
      expect.arrayContaining([
        'shutdown: requests still in flight after SHUTDOWN_DRAIN_MS; closing the pool anyway',
        'shutdown: connection pool closed',
        'shutdown complete',
      ]),
    );
    expect(await stuck).toBeInstanceOf(Error);
  });
});
