/**
 * The pools under comparison, behind one small interface: our pool, pg.Pool,
 * tarn + pg.Client and generic-pool + pg.Client. Each is opened with the same
 * number of connections, prefilled before the clock starts, and given the same
 * client class (pg.Client, or the stub for pool-only overhead).
 */
import genericPool from 'generic-pool';
import pg from 'pg';
import { Pool as TarnPool } from 'tarn';
import { createOurPool } from './our-runtime.js';

/** Names of the pool contenders; `ours+metrics` is our pool with the Prometheus observer attached, as deployed. */
export const POOL_CONTENDERS = ['ours', 'ours+metrics', 'pg-pool', 'tarn', 'generic-pool'] as const;
export type PoolContenderName = (typeof POOL_CONTENDERS)[number];

/** A pool as the bench drives it. */
export interface BenchPool {
  /** Check out a client (may reject with the pool's timeout error). */
  acquire(): Promise<pg.ClientBase>;
  release(client: pg.ClientBase): void;
  /** One query the pool's usual way: `pool.query` where the pool has it, else acquire, query, release. */
  query(query: string | pg.QueryConfig): Promise<unknown>;
  /** Connections the pool holds now (open or opening). */
  totalCount(): number;
  close(): Promise<void>;
}

/** How to open a contender. */
export interface PoolContenderOptions {
  readonly databaseUrl: string;
  readonly connections: number;
  /** Longest checkout wait, ms. */
  readonly timeoutMillis: number;
  /** `application_name` of every connection. */
  readonly applicationName: string;
  /** @default pg.Client */
  readonly Client?: typeof pg.Client;
}

/** Opens a contender and prefills it with `connections` connections. */
export async function openPoolContender(
  name: PoolContenderName,
  options: PoolContenderOptions,
): Promise<BenchPool> {
  const pool = await createContender(name, options);
  const held = await Promise.all(Array.from({ length: options.connections }, () => pool.acquire()));
  for (const client of held) pool.release(client);
  return pool;
}

async function createContender(name: PoolContenderName, options: PoolContenderOptions): Promise<BenchPool> {
  const Client = options.Client ?? pg.Client;
  const clientConfig: pg.ClientConfig = {
    connectionString: options.databaseUrl,
    application_name: options.applicationName,
  };
  const connect = async (): Promise<pg.Client> => {
    const client = new Client(clientConfig);
    await client.connect();
    // An error on an idle anchor connection must not crash the bench.
    client.on('error', () => undefined);
    return client;
  };
  switch (name) {
    case 'ours':
    case 'ours+metrics': {
      const pool = await createOurPool({ ...options, Client, withMetrics: name === 'ours+metrics' });
      return {
        acquire: () => pool.connect(),
        release: (client) => (client as pg.PoolClient).release(),
        query: (query) => pool.query(query),
        totalCount: () => pool.totalCount,
        close: () => pool.end({ drainMillis: 1_000 }),
      };
    }
    case 'pg-pool': {
      const pool = new pg.Pool({
        ...clientConfig,
        Client,
        max: options.connections,
        connectionTimeoutMillis: options.timeoutMillis,
        idleTimeoutMillis: 0,
      });
      pool.on('error', () => undefined);
      return {
        acquire: () => pool.connect(),
        release: (client) => (client as pg.PoolClient).release(),
        query: (query) => pool.query(query),
        totalCount: () => pool.totalCount,
        close: () => pool.end(),
      };
    }
    case 'tarn': {
      const pool = new TarnPool<pg.Client>({
        create: connect,
        destroy: (client) => client.end(),
        min: 0,
        max: options.connections,
        acquireTimeoutMillis: options.timeoutMillis,
        idleTimeoutMillis: 3_600_000,
      });
      return {
        acquire: () => pool.acquire().promise,
        release: (client) => {
          pool.release(client as pg.Client);
        },
        async query(query) {
          const client = await pool.acquire().promise;
          try {
            return await client.query(query);
          } finally {
            pool.release(client);
          }
        },
        totalCount: () => pool.numUsed() + pool.numFree() + pool.numPendingCreates(),
        close: () => pool.destroy().then(() => undefined),
      };
    }
    case 'generic-pool': {
      const pool = genericPool.createPool<pg.Client>(
        { create: connect, destroy: (client) => client.end() },
        { max: options.connections, min: 0, acquireTimeoutMillis: options.timeoutMillis },
      );
      return {
        acquire: () => pool.acquire(),
        release: (client) => {
          void pool.release(client as pg.Client);
        },
        async query(query) {
          const client = await pool.acquire();
          try {
            return await client.query(query);
          } finally {
            void pool.release(client);
          }
        },
        totalCount: () => pool.size,
        close: async () => {
          await pool.drain();
          await pool.clear();
        },
      };
    }
  }
}
