/**
 * The recipes of runtime/README.md for Express and Fastify, run for real: each app is
 * hosted as the runtime's application on one port beside the health paths,
 * and the errors its framework catches reach the runtime through
 * `respondToError` (503 + Retry-After for a pool timeout, 500 without internals).
 */
import express, { type ErrorRequestHandler } from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApplicationFactory } from '../../src/app/application.js';
import { respondToError } from '../../src/app/error-response.js';
import { HEALTH_PATHS } from '../../src/contract/http-contract.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { send, startHosted, type Hosted } from './app-fixture.js';

const ENV = { POOL_SIZE: '1', POOL_TIMEOUT: '200' };

/** A real pool timeout: the request holds the only connection and asks the pool for another. */
async function exhaust(pool: ClientAtsPool): Promise<never> {
  const client = await pool.connect();
  try {
    await pool.query('SELECT 1');
    throw new Error('the pool handed out a second connection with POOL_SIZE=1');
  } finally {
    client.release();
  }
}

/** The same four checks for either framework. */
function behavesAsHosted(hosted: () => Hosted): void {
  it('answers its routes, with the runtime paths beside them on the same port', async () => {
    expect(await send(`${hosted().url}/clients/7`)).toMatchObject({ status: 200, body: '{"id":7}' });
    expect(await send(`${hosted().url}${HEALTH_PATHS.liveness}`)).toMatchObject({
      status: 200,
      body: '{"status":"ok"}',
    });
    expect((await send(`${hosted().url}${HEALTH_PATHS.readiness}`)).body).toMatch(
      /^\{"status":"(un)?healthy"/,
    );
    expect((await send(`${hosted().url}/no-such-route`)).status).toBe(404);
  });

  it('answers 503 with Retry-After when a route fails with a pool timeout', async () => {
    const answer = await send(`${hosted().url}/busy`);
    expect(answer).toMatchObject({
      status: 503,
      body: '{"status":"unavailable","error":"no database connection available, retry later"}',
    });
    expect(answer.headers['retry-after']).toBe('1');
    expect(
      hosted().logger.lines.find(
        (line) => line.level === 'warn' && (line.fields as { path?: string }).path === '/busy',
      ),
    ).toBeDefined();
  });

  it('answers 500 without the error message when a route throws', async () => {
    const answer = await send(`${hosted().url}/broken`);
    expect(answer).toMatchObject({ status: 500, body: '{"status":"error","error":"internal error"}' });
    expect(
      hosted().logger.lines.find(
        (line) => line.level === 'error' && (line.fields as { path?: string }).path === '/broken',
      ),
    ).toMatchObject({ fields: { err: 'relation "internal_table" does not exist (42P01)' } });
  });

  it("keeps the framework's 400 for a malformed JSON body", async () => {
    const answer = await send(`${hosted().url}/clients`, { method: 'POST', body: '{"name":' });
    expect(answer.status).toBe(400);
    expect(answer.body).not.toContain('Unexpected');
  });
}

describe('an Express app hosted by the runtime', () => {
  let hosted: Hosted;
  const app: ApplicationFactory = ({ pool }) => {
    const api = express();
    api.use(express.json());
    api.get('/clients/:id', async (request, response) => {
      const { rows } = await pool.query('SELECT $1::int AS id', [request.params.id]);
      response.json(rows[0]);
    });
    api.post('/clients', (request, response) => {
      response.status(201).json(request.body);
    });
    api.get('/busy', () => exhaust(pool));
    api.get('/broken', async () => {
      await pool.query('SELECT * FROM internal_table');
    });
    // Last: Express 5 routes rejected promises here, and this hands them to the runtime.
    const toRuntime: ErrorRequestHandler = (error, request, response, _next) =>
      respondToError(request, response, error);
    api.use(toRuntime);
    return api;
  };
  beforeAll(async () => {
    hosted = await startHosted(inject('databaseUrl'), app, ENV);
  });
  afterAll(async () => {
    await hosted?.stop();
  });
  behavesAsHosted(() => hosted);
});

describe('a Fastify app hosted by the runtime', () => {
  let hosted: Hosted;
  const app: ApplicationFactory = async ({ pool }) => {
    const api = Fastify();
    api.get<{ Params: { id: string } }>('/clients/:id', async (request) => {
      const { rows } = await pool.query('SELECT $1::int AS id', [request.params.id]);
      return rows[0];
    });
    api.post('/clients', async (request, reply) => reply.code(201).send(request.body));
    api.get('/busy', () => exhaust(pool));
    api.get('/broken', async () => {
      await pool.query('SELECT * FROM internal_table');
    });
    api.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      // Fastify's own 4xx (validation, bad JSON) keep its answer; the rest goes to the runtime.
      if (error.statusCode !== undefined && error.statusCode < 500) return reply.send(error);
      reply.hijack();
      respondToError(request.raw, reply.raw, error);
      return reply;
    });
    await api.ready();
    return api.routing;
  };
  beforeAll(async () => {
    hosted = await startHosted(inject('databaseUrl'), app, ENV);
  });
  afterAll(async () => {
    await hosted?.stop();
  });
  behavesAsHosted(() => hosted);
});
