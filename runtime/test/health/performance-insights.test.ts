import { describe, expect, it } from 'vitest';
import {
  DEFAULT_INSIGHT_THRESHOLDS,
  performanceInsights,
  type DatabaseFacts,
  type InsightFacts,
} from '../../src/health/performance-insights.js';
import type { PoolSnapshot } from '../../src/pool/pool-types.js';

function snapshot(overrides: Partial<PoolSnapshot> = {}): PoolSnapshot {
  return {
    poolSize: 4,
    poolCount: 1,
    maxOverflow: 2,
    timeoutMillis: 5000,
    maxConnections: 6,
    total: 4,
    idle: 4,
    inUse: 0,
    waiting: 0,
    pools: [{ index: 0, persistentOpen: 4, overflowOpen: 0, idle: 4, inUse: 0, connecting: 0 }],
    checkouts: 0,
    timeouts: 0,
    overflowOpened: 0,
    connectionErrors: 0,
    connectFailing: false,
    lastConnectError: undefined,
    lastConnectErrorAt: undefined,
    ending: false,
    ...overrides,
  };
}

const quietDatabase: DatabaseFacts = {
  version: 'PostgreSQL 17.6',
  maxConnections: 100,
  superuserReservedConnections: 3,
  reservedConnections: 0,
  serverClientConnections: 10,
  activity: { total: 5, active: 1, idle: 4, idleInTransaction: 0, longestTransactionSeconds: 0 },
  idleInTransactionOverThreshold: 0,
  unusedIndexes: [],
};

function facts(
  overrides: {
    pool?: Partial<PoolSnapshot>;
    recent?: Partial<InsightFacts['recent']>;
    database?: Partial<DatabaseFacts> | undefined;
  } = {},
): InsightFacts {
  return {
    pool: snapshot(overrides.pool),
    recent: {
      windowMillis: 300_000,
      timeouts: 0,
      overflowOpened: 0,
      connectionErrors: 0,
      ...overrides.recent,
    },
    database:
      'database' in overrides && overrides.database === undefined
        ? undefined
        : { ...quietDatabase, ...overrides.database },
  };
}

describe('performanceInsights', () => {
  it('reports nothing for a quiet pool and server', () => {
    expect(performanceInsights(facts())).toEqual([]);
  });

  it("reports the pool at 75 % capacity in the guide's words, and not at 74 %", () => {
    expect(performanceInsights(facts({ pool: { inUse: 3 } }))).toEqual([
      'Connection pool at 75% capacity - consider increasing POOL_SIZE',
    ]);
    expect(performanceInsights(facts({ pool: { poolSize: 100, inUse: 74 } }))).toEqual([]);
    expect(performanceInsights(facts({ pool: { poolSize: 5, poolCount: 2, inUse: 9 } }))).toEqual([
      'Connection pool at 90% capacity - consider increasing POOL_SIZE',
    ]);
  });

  it('reports checkout timeouts within the window', () => {
    expect(performanceInsights(facts({ recent: { timeouts: 2 } }))).toEqual([
      '2 checkouts timed out after POOL_TIMEOUT=5000 ms in the last 5 minutes - ' +
        'consider increasing POOL_SIZE or MAX_OVERFLOW, or shortening transactions',
    ]);
  });

  it('reports overflow from three openings within the window, not two', () => {
    expect(performanceInsights(facts({ recent: { overflowOpened: 3 } }))).toEqual([
      'Overflow connections opened 3 times in the last 5 minutes (MAX_OVERFLOW=2) - consider increasing POOL_SIZE',
    ]);
    expect(performanceInsights(facts({ recent: { overflowOpened: 2 } }))).toEqual([]);
  });

  it('reports the server at 90 % of its usable connections, counting out the reserved ones', () => {
    expect(
      performanceInsights(facts({ database: { maxConnections: 20, serverClientConnections: 16 } })),
    ).toEqual([
      'PostgreSQL at 94% of its usable connections (16 of 17) - ' +
        'lower POOL_SIZE × POOL_COUNT per instance or put PgBouncer in front',
    ]);
    expect(
      performanceInsights(facts({ database: { maxConnections: 20, serverClientConnections: 15 } })),
    ).toEqual([]);
  });

  it('reports a transaction open for five minutes or more', () => {
    expect(
      performanceInsights(
        facts({ database: { activity: { ...quietDatabase.activity, longestTransactionSeconds: 390 } } }),
      ),
    ).toEqual([
      'Longest transaction open for 6.5 minutes - long transactions hold connections and block vacuum',
    ]);
    expect(
      performanceInsights(
        facts({ database: { activity: { ...quietDatabase.activity, longestTransactionSeconds: 299 } } }),
      ),
    ).toEqual([]);
  });

  it('reports sessions idle in transaction past the threshold', () => {
    expect(performanceInsights(facts({ database: { idleInTransactionOverThreshold: 1 } }))).toEqual([
      '1 session idle in transaction for over 30 s - commit or roll back promptly, ' +
        'or set idle_in_transaction_session_timeout',
    ]);
  });

  it('names up to five unused indexes and counts the rest', () => {
    const unusedIndexes = Array.from({ length: 7 }, (_, index) => ({
      schema: 'public',
      table: 'jobs',
      index: `jobs_${index}_idx`,
    }));
    const insights = performanceInsights(facts({ database: { unusedIndexes } }));
    expect(insights).toEqual([
      ...unusedIndexes
        .slice(0, 5)
        .map(
          (index) =>
            `Unused index public.${index.index} on public.jobs (idx_scan = 0) - consider dropping it`,
        ),
      '2 more unused indexes (idx_scan = 0)',
    ]);
  });

  it('says why database statistics are missing when the database cannot be queried', () => {
    expect(
      performanceInsights(
        { ...facts({ database: undefined }), databaseError: 'connect ECONNREFUSED 127.0.0.1:1' },
        DEFAULT_INSIGHT_THRESHOLDS,
      ),
    ).toEqual(['Database statistics unavailable: connect ECONNREFUSED 127.0.0.1:1']);
  });
});
