import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeBudget } from '../../src/budget/compute-budget.js';
import { liveLimits, readLiveDatabase } from '../../src/cli/live-database.js';
import { runCli } from '../../src/cli/run-cli.js';
import { startTestDatabase, type TestDatabase } from '../../runtime/test/support/test-database.js';

describe('readLiveDatabase against a real PostgreSQL with max_connections 20', () => {
  let database: TestDatabase;
  const held: pg.Client[] = [];

  beforeAll(async () => {
    database = await startTestDatabase({
      maxConnections: 20,
      superuserReservedConnections: 2,
      settings: { reserved_connections: '1' },
    });
    for (let index = 0; index < 2; index += 1) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      held.push(client);
    }
  });

  afterAll(async () => {
    await Promise.all(held.map((client) => client.end()));
    await database?.close();
  });

  it('reads max_connections, the reserved slots and the other client backends connected now', async () => {
    const facts = await readLiveDatabase(database.url);
    expect(facts).toMatchObject({
      maxConnections: 20,
      superuserReserved: 2,
      reserved: 1,
      rdsReserved: 0,
      clientBackends: 2,
    });
    expect(facts.serverVersion).toMatch(/^17\./);
  });

  it('counts the connected client backends against the budget', async () => {
    const budget = computeBudget([], liveLimits('live', await readLiveDatabase(database.url)));
    expect(budget.usable).toBe(20 - 2 - 1 - 2);
    expect(budget.usableArithmetic).toBe(
      'max_connections 20 − 3 reserved (2 superuser + 1 reserved_connections) − 2 already connected',
    );
  });

  it('checks a service against the live database through the CLI', async () => {
    const out: string[] = [];
    // 2 pods + 1 surge × (1 × (4 + 0) + 1) = 15 ≤ 15 usable.
    const code = await runCli(
      ['check', '--replicas', '2', '--pool-size', '4', '--database-url', database.url, '--json'],
      {
        stdout: { write: (text: string) => out.push(text) },
        stderr: { write: (text: string) => out.push(text) },
      },
    );
    const report = JSON.parse(out.join('')) as {
      databases: { usable: number; totals: { rollout: number }; alreadyConnected: number }[];
    };
    expect(report.databases[0]).toMatchObject({ usable: 15, alreadyConnected: 2, totals: { rollout: 15 } });
    expect(code).toBe(0);
  });

  it('fails with the password redacted when authentication fails', async () => {
    const url = `postgres://postgres:wrong-secret@127.0.0.1:${database.port}/postgres`;
    const error = await readLiveDatabase(url).catch((caught: Error) => caught);
    expect((error as Error).message).toBe(
      `cannot read connection limits from postgres://postgres:***@127.0.0.1:${database.port}` +
        '/postgres: password authentication failed for user "postgres"',
    );
  });
});
