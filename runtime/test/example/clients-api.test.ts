/**
 * The example service (runtime/example) hosted by the runtime on a real
 * PostgreSQL: its migration, its routes and their errors.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import clientsApi from '../../example/server.js';
import { migrate } from '../../example/migrations.js';
import type { ApplicationFactory } from '../../src/app/application.js';
import { send, startHosted, type Hosted } from '../app/app-fixture.js';
import { createScratchDatabase } from '../support/test-database.js';

describe('the example clients API on the runtime', () => {
  let scratch: { url: string; close(): Promise<void> };
  let hosted: Hosted;
  const post = (body: string): ReturnType<typeof send> =>
    send(`${hosted.url}/clients`, { method: 'POST', body });
  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('databaseUrl'), `example_${process.pid}`);
    // The example types its context structurally; this line fails to compile if it stops fitting the runtime's.
    const factory: ApplicationFactory = clientsApi;
    hosted = await startHosted(scratch.url, factory);
  });
  afterAll(async () => {
    await hosted?.stop();
    await scratch?.close();
  });

  it('applies its migration at start, once', async () => {
    const applied = hosted.logger.lines.find((line) => line.message === 'clients API: migrations applied');
    expect(applied?.fields).toEqual({ applied: ['001_create_clients'] });
  });

  it('creates, reads and lists clients', async () => {
    const created = await post('{"name":" Grace Hopper ","email":"Grace@Example.com"}');
    expect(created.status).toBe(201);
    const grace = JSON.parse(created.body) as { id: number; name: string; email: string };
    expect(grace).toMatchObject({ name: 'Grace Hopper', email: 'grace@example.com' });
    expect(created.headers.location).toBe(`/clients/${grace.id}`);
    expect(JSON.parse((await send(`${hosted.url}/clients/${grace.id}`)).body)).toEqual(grace);
    await post('{"name":"Ada","email":"ada@example.com"}');
    const page = JSON.parse((await send(`${hosted.url}/clients?limit=1`)).body) as {
      clients: { id: number }[];
      next: string;
    };
    expect(page.clients.map((client) => client.id)).toEqual([grace.id]);
    expect(page.next).toBe(`/clients?limit=1&after=${grace.id}`);
    const rest = JSON.parse((await send(`${hosted.url}${page.next}`)).body) as {
      clients: { email: string }[];
    };
    expect(rest.clients.map((client) => client.email)).toEqual(['ada@example.com']);
  });

  it(
    'fails when the email is taken (409), the body is invalid (400/415) ' +
      'or the client does not exist (404)',
    async () => {
      await post('{"name":"Linus","email":"linus@example.com"}');
      expect(await post('{"name":"Linus 2","email":"LINUS@example.com"}')).toMatchObject({
        status: 409,
        body: '{"status":"error","error":"a client with email \\"linus@example.com\\" already exists"}',
      });
      expect(await post('{"name":"","email":"x@y"}')).toMatchObject({
        status: 400,
        body: '{"status":"error","error":"name must be a string of 1 to 200 characters, got \\"\\""}',
      });
      expect(await post('not json')).toMatchObject({ status: 400 });
      expect(
        (
          await send(`${hosted.url}/clients`, {
            method: 'POST',
            body: '{}',
            headers: { 'content-type': 'text/plain' },
          })
        ).status,
      ).toBe(415);
      expect(await send(`${hosted.url}/clients/999999`)).toMatchObject({
        status: 404,
        body: '{"status":"error","error":"no client with id 999999"}',
      });
      expect((await send(`${hosted.url}/clients/0`)).status).toBe(400);
      expect((await send(`${hosted.url}/clients/1`, { method: 'DELETE' })).headers.allow).toBe('GET, HEAD');
    },
  );

  it('runs each migration once even when replicas start together', async () => {
    const { createPool } = await import('../../src/pool/create-pool.js');
    const { loadSettings } = await import('../../src/contract/load-settings.js');
    const pool = createPool(loadSettings({ DATABASE_URL: scratch.url, POOL_SIZE: '3' }));
    try {
      expect(await Promise.all([migrate(pool), migrate(pool)])).toEqual([[], []]);
      // A new migration started by three replicas at once: applied by exactly one, no "already exists" error.
      const probe = [{ version: '002_probe', sql: 'CREATE TABLE migration_probe (id int)' }];
      const results = await Promise.all([migrate(pool, probe), migrate(pool, probe), migrate(pool, probe)]);
      expect(results.flat()).toEqual(['002_probe']);
    } finally {
      await pool.end({ drainMillis: 0 });
    }
  });
});
