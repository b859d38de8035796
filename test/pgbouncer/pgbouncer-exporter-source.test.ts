/**
 * What the exporter beside a generated bouncer reads, on a real PgBouncer
 * (Debian's 1.18) running the generated ini: the stats user logs into the
 * admin console with the startup parameters lib/pq sends, every SHOW command
 * pgbouncer_exporter v0.12.1 runs in a scrape succeeds (a failing one makes it
 * report `pgbouncer_up 0`), and every column or row `PGBOUNCER_METRIC` maps
 * exists and moves as the alerts assume. The Go exporter itself is not on
 * this machine (Debian's `prometheus-pgbouncer-exporter` is another project
 * with other names), so its names are pinned from its source
 * (src/observability/pgbouncer-metric-names.ts) and their sources proved here.
 */
import { Chart, Testing } from 'cdk8s';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createBouncerRole,
  hasPgbouncer,
  PGBOUNCER_SKIP_REASON,
  startPgbouncer,
  type BouncerRole,
  type TestPgbouncer,
} from '../../runtime/test/support/pgbouncer.js';
import { PGBOUNCER_METRIC } from '../../src/observability/index.js';
import { renderPgbouncerIni } from '../../src/pgbouncer/pgbouncer-ini.js';
import { PgBouncer, type PgBouncerProps } from '../../src/pgbouncer/pgbouncer.js';
import { pgbouncerIniConfig } from '../../src/pgbouncer/pgbouncer-settings.js';

/** A client sending the startup parameters lib/pq v1.12.3 sends besides user and database (conn.go `startup`). */
function libpqLikeClient(connectionString: string): pg.Client {
  const client = new pg.Client({ connectionString });
  const internal = client as unknown as { getStartupConf(): Record<string, string> };
  const original = internal.getStartupConf.bind(client);
  internal.getStartupConf = () => ({ ...original(), client_encoding: 'UTF8', datestyle: 'ISO, MDY' });
  return client;
}

/** Every admin console command pgbouncer_exporter v0.12.1 runs in one scrape (collector.go `Collect`). */
const EXPORTER_COMMANDS = [
  'STATS',
  'VERSION',
  'LISTS',
  'CONFIG',
  'CLIENTS',
  'DATABASES',
  'STATS_TOTALS',
  'POOLS',
];

async function startGenerated(
  role: BouncerRole,
  monitoring: PgBouncerProps['monitoring'],
): Promise<TestPgbouncer> {
  const construct = new PgBouncer(new Chart(Testing.app(), 'test'), 'pgbouncer', {
    server: { host: 'unused', database: role.name },
    defaultPoolSize: 1,
    monitoring,
  });
  return startPgbouncer({
    serverUrl: role.url,
    renderIni: (places) =>
      renderPgbouncerIni(
        pgbouncerIniConfig({
          ...construct.settings,
          serverHost: places.host,
          serverPort: places.serverPort,
          listenPort: places.listenPort,
          authFile: places.authFile,
          extra: { ...construct.settings.extra, listen_addr: '127.0.0.1' },
        }),
      ),
  });
}

async function adminConsole(bouncer: TestPgbouncer): Promise<pg.Client> {
  const client = libpqLikeClient(bouncer.adminUrl);
  await client.connect();
  return client;
}

describe.skipIf(!hasPgbouncer)(`the exporter's view of a generated PgBouncer${PGBOUNCER_SKIP_REASON}`, () => {
  const adminUrl = inject('databaseUrl');
  let role: BouncerRole;
  let bouncer: TestPgbouncer;
  let console: pg.Client;
  beforeAll(async () => {
    role = await createBouncerRole(adminUrl, 'bouncer_exporter_view');
    // The test's userlist holds one user: it is the stats user here (the pools' user is never used).
    bouncer = await startGenerated(role, { statsUser: role.name });
    console = await adminConsole(bouncer);
  });
  afterAll(async () => {
    await console?.end();
    await bouncer?.close();
    await role?.close();
  });

  it('lets the stats user run every SHOW command of a scrape', async () => {
    for (const command of EXPORTER_COMMANDS) {
      await expect(console.query(`SHOW ${command};`), command).resolves.toBeDefined();
    }
  });

  it('has every column and row the pinned metric names map', async () => {
    const pools = await console.query('SHOW POOLS;');
    const columns = pools.fields.map((field) => field.name);
    const lists = new Set((await console.query<{ list: string }>('SHOW LISTS;')).rows.map((row) => row.list));
    const config = new Map(
      (await console.query<{ key: string; value: string }>('SHOW CONFIG;')).rows.map((row) => [
        row.key,
        row.value,
      ]),
    );
    for (const metric of Object.values(PGBOUNCER_METRIC)) {
      if (metric.command === 'POOLS') expect(columns, metric.name).toContain(metric.field);
      if (metric.command === 'LISTS') expect([...lists], metric.name).toContain(metric.field);
      if (metric.command === 'CONFIG') expect([...config.keys()], metric.name).toContain(metric.field);
    }
    // The exporter parses SHOW CONFIG values as numbers: max_client_conn is the generated one.
    expect(Number(config.get('max_client_conn'))).toBe(100);
  });

  it('counts clients in used_clients, and a client without a server connection in cl_waiting and maxwait', async () => {
    const count = async (list: string): Promise<number> =>
      Number(
        (await console.query<{ list: string; items: string }>('SHOW LISTS;')).rows.find(
          (row) => row.list === list,
        )!.items,
      );
    const before = await count('used_clients');
    const clients = [
      new pg.Client({ connectionString: bouncer.url }),
      new pg.Client({ connectionString: bouncer.url }),
    ];
    await Promise.all(clients.map((client) => client.connect()));
    try {
      expect(await count('used_clients')).toBe(before + 2);
      // default_pool_size 1: the second query waits for the first's server connection.
      const holding = clients[0]!.query('SELECT pg_sleep(3)');
      await waitFor(async () => (await count('used_servers')) >= 1);
      const waiting = clients[1]!.query('SELECT 1');
      const row = await waitFor(async () => {
        const rows = (
          await console.query<{ database: string; cl_waiting: string; maxwait: string }>('SHOW POOLS;')
        ).rows;
        const pool = rows.find((candidate) => candidate.database === role.name);
        return pool !== undefined && Number(pool.cl_waiting) >= 1 ? pool : undefined;
      });
      expect(Number(row.cl_waiting)).toBe(1);
      expect(Number(row.maxwait)).toBeGreaterThanOrEqual(0);
      await Promise.all([holding, waiting]);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it('fails when the ini has no stats_users: the exporter could not log in (monitoring: false)', async () => {
    const plain = await startGenerated(role, false);
    try {
      await expect(adminConsole(plain)).rejects.toThrow(/^not allowed$/);
    } finally {
      await plain.close();
    }
  });
});

/** Polls `probe` until it returns a truthy value (at most 200 × 25 ms). */
async function waitFor<T>(probe: () => Promise<T | undefined | false>): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition not reached within 5 s');
}
