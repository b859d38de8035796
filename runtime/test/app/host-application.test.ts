/**
 * The runtime hosting an application (plain node:http listener): its own
 * paths first, every other path to the application, and the answer, log line
 * and metric for an error the application does not handle.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApplicationFactory } from '../../src/app/application.js';
import { HEALTH_PATHS } from '../../src/contract/http-contract.js';
import type { PooledClient } from '../../src/pool/pool-types.js';
import { gate, send, startHosted, type Hosted } from './app-fixture.js';

const INTERNAL_ERROR = '{"status":"error","error":"internal error"}';
const POOL_TIMEOUT_ANSWER =
  '{"status":"unavailable","error":"no database connection available, retry later"}';

/** Value of one sample of the Prometheus text, e.g. `name{a="b"}`. */
async function sample(url: string, series: string): Promise<number | undefined> {
  const text = (await send(`${url}${HEALTH_PATHS.metrics}`)).body;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('hostApplication with a plain node:http listener', () => {
  let hosted: Hosted;
  const held = gate();
  let holding: (() => void) | undefined;
  const holdingStarted = new Promise<void>((resolve) => {
    holding = resolve;
  });

  const app: ApplicationFactory =
    ({ pool }) =>
    async (request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (path === '/hello') {
        const { rows } = await pool.query<{ answer: number }>('SELECT 41 + 1 AS answer');
        response.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${rows[0]?.answer}`);
      } else if (path === '/hold') {
        // Takes the only connection until the test opens the gate.
        const client: PooledClient = await pool.connect();
        holding?.();
        await held.promise;
        client.release();
        response.end('released');
      } else if (path === '/query') {
        await pool.query('SELECT 1');
        response.end('queried');
      } else if (path === '/throw') {
        throw new Error('secret detail: password=hunter2 at /srv/app.js:12');
      } else if (path === '/reject') {
        await Promise.reject(new TypeError('cannot read properties of undefined (reading "rows")'));
      } else if (path === '/half') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('partial ');
        throw new Error('failed mid-answer');
      } else {
        response.writeHead(404).end('app 404');
      }
    };

  beforeAll(async () => {
    hosted = await startHosted(inject('databaseUrl'), app, { POOL_SIZE: '1', POOL_TIMEOUT: '300' });
  });
  afterAll(async () => {
    held.open();
    await hosted?.stop();
  });

  it('answers its own paths itself and hands every other path to the application, on one port', async () => {
    expect(await send(`${hosted.url}/hello`)).toMatchObject({ status: 200, body: 'hello 42' });
    expect(await send(`${hosted.url}/nothing-here`)).toMatchObject({ status: 404, body: 'app 404' });
    expect(await send(`${hosted.url}${HEALTH_PATHS.liveness}`)).toMatchObject({
      status: 200,
      body: '{"status":"ok"}',
    });
    expect((await send(`${hosted.url}${HEALTH_PATHS.metrics}`)).body).toContain('db_connections_active');
    expect((await send(`${hosted.url}${HEALTH_PATHS.diagnostics}`)).status).toBe(401);
    expect(hosted.logger.messages()).toContain(
      'application started: the runtime hands it every request outside its own paths',
    );
  });

  it(
    'answers 503 with Retry-After for a PoolTimeoutError the application does not handle, ' +
      'logs the path and counts it',
    async () => {
      const before = await sample(
        hosted.url,
        'http_application_unhandled_errors_total{status="503",reason="pool_timeout"}',
      );
      const holder = send(`${hosted.url}/hold`);
      await holdingStarted;
      const answer = await send(`${hosted.url}/query?token=abc`);
      held.open();
      expect(await holder).toMatchObject({ status: 200, body: 'released' });

      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.body).toBe(POOL_TIMEOUT_ANSWER);
      const line = hosted.logger.lines.find((candidate) =>
        candidate.message.includes('no database connection within POOL_TIMEOUT'),
      );
      expect(line).toMatchObject({
        level: 'warn',
        message: 'application request failed: no database connection within POOL_TIMEOUT, answered 503',
        fields: { method: 'GET', path: '/query', status: 503 },
      });
      expect((line?.fields as { err: string }).err).toMatch(
        /^timeout exceeded when trying to connect: waited 300 ms \(POOL_TIMEOUT=300\) for a database connection/,
      );
      expect(before).toBe(0);
      expect(
        await sample(
          hosted.url,
          'http_application_unhandled_errors_total{status="503",reason="pool_timeout"}',
        ),
      ).toBe(1);
    },
  );

  it(
    'answers 500 without internals for a synchronous throw and for a rejected promise, ' +
      'and logs both with their path',
    async () => {
      const thrown = await send(`${hosted.url}/throw`);
      const rejected = await send(`${hosted.url}/reject`);
      expect(thrown).toMatchObject({ status: 500, body: INTERNAL_ERROR });
      expect(rejected).toMatchObject({ status: 500, body: INTERNAL_ERROR });
      expect(thrown.headers['retry-after']).toBeUndefined();
      const failures = hosted.logger.lines.filter(
        (line) => line.message === 'application request failed: unhandled error, answered 500',
      );
      expect(failures.map((line) => line.fields)).toEqual([
        expect.objectContaining({
          method: 'GET',
          path: '/throw',
          err: 'secret detail: password=hunter2 at /srv/app.js:12',
        }),
        expect.objectContaining({
          method: 'GET',
          path: '/reject',
          err: 'cannot read properties of undefined (reading "rows")',
        }),
      ]);
      expect(
        await sample(hosted.url, 'http_application_unhandled_errors_total{status="500",reason="error"}'),
      ).toBe(2);
    },
  );

  it(
    'cuts the connection when the application fails after it started its answer, ' +
      'so no half answer passes for whole',
    async () => {
      await expect(send(`${hosted.url}/half`)).rejects.toThrow();
      const line = await hosted.logger.waitFor('connection cut');
      expect(line).toMatchObject({
        message: 'application request failed: unhandled error, connection cut (the answer had started)',
        fields: { path: '/half', err: 'failed mid-answer' },
      });
    },
  );
});
