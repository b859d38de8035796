/**
 * The rules behind `performance_insights` in `/health/diagnostics`: pure
 * functions of the pool snapshot, the recent counters and the database facts.
 * Each rule, its threshold and its wording are documented in runtime/README.md
 * ("Performance insights").
 */
import type { PoolSnapshot } from '../pool/pool-types.js';
import type { RecentPoolActivity } from './pool-history.js';

/** Thresholds of the rules. */
export interface InsightThresholds {
  /** Connections in use as a share of POOL_SIZE × POOL_COUNT, in percent. @default 75 */
  readonly poolCapacityPercent: number;
  /** Overflow connections opened within the window before overflow counts as frequent. @default 3 */
  readonly frequentOverflowOpens: number;
  /** Client connections as a share of the server's usable slots, in percent. @default 90 */
  readonly serverCapacityPercent: number;
  /** A transaction open this long is reported. @default 300000 (5 minutes) */
  readonly longTransactionMillis: number;
  /** A session idle in transaction this long is reported. @default 30000 */
  readonly idleInTransactionMillis: number;
  /** Unused indexes named one by one; the rest are counted. @default 5 */
  readonly unusedIndexesListed: number;
}

/** Defaults of the rules. */
export const DEFAULT_INSIGHT_THRESHOLDS: InsightThresholds = {
  poolCapacityPercent: 75,
  frequentOverflowOpens: 3,
  serverCapacityPercent: 90,
  longTransactionMillis: 300_000,
  idleInTransactionMillis: 30_000,
  unusedIndexesListed: 5,
};

/** What the diagnostics queries read from PostgreSQL. */
export interface DatabaseFacts {
  /** `PostgreSQL 17.6` */
  readonly version: string;
  readonly maxConnections: number;
  readonly superuserReservedConnections: number;
  readonly reservedConnections: number;
  /** Client backends on the whole server (every database, every role). */
  readonly serverClientConnections: number;
  /** Client backends of this database, other than the diagnostics connection itself. */
  readonly activity: {
    readonly total: number;
    readonly active: number;
    readonly idle: number;
    readonly idleInTransaction: number;
    readonly longestTransactionSeconds: number;
  };
  /** Sessions idle in transaction for at least `idleInTransactionMillis`. */
  readonly idleInTransactionOverThreshold: number;
  /** Non-unique indexes with `idx_scan = 0`, largest first. */
  readonly unusedIndexes: readonly {
    readonly schema: string;
    readonly table: string;
    readonly index: string;
  }[];
}

/** Everything the rules look at. */
export interface InsightFacts {
  readonly pool: PoolSnapshot;
  readonly recent: RecentPoolActivity;
  /** `undefined` when the database could not be queried. */
  readonly database: DatabaseFacts | undefined;
  /** Why the database could not be queried. */
  readonly databaseError?: string | undefined;
}

/** Connection slots an ordinary role can use: max_connections less the reserved ones. */
export function usableConnections(
  facts: Pick<DatabaseFacts, 'maxConnections' | 'superuserReservedConnections' | 'reservedConnections'>,
): number {
  return facts.maxConnections - facts.superuserReservedConnections - facts.reservedConnections;
}

/** The insights, in rule order; empty when nothing needs attention. */
export function performanceInsights(
  facts: InsightFacts,
  thresholds: InsightThresholds = DEFAULT_INSIGHT_THRESHOLDS,
): string[] {
  const insights: string[] = [];
  const { pool, recent, database } = facts;
  const windowMinutes = formatNumber(recent.windowMillis / 60_000);

  const capacity = pool.poolSize * pool.poolCount;
  const poolPercent = Math.floor((pool.inUse / capacity) * 100);
  if (poolPercent >= thresholds.poolCapacityPercent) {
    insights.push(`Connection pool at ${poolPercent}% capacity - consider increasing POOL_SIZE`);
  }
  if (recent.timeouts > 0) {
    insights.push(
      `${plural(recent.timeouts, 'checkout')} timed out after POOL_TIMEOUT=${pool.timeoutMillis} ms ` +
        `in the last ${windowMinutes} minutes - consider increasing POOL_SIZE or MAX_OVERFLOW, ` +
        'or shortening transactions',
    );
  }
  if (recent.overflowOpened >= thresholds.frequentOverflowOpens) {
    insights.push(
      `Overflow connections opened ${recent.overflowOpened} times in the last ${windowMinutes} ` +
        `minutes (MAX_OVERFLOW=${pool.maxOverflow}) - consider increasing POOL_SIZE`,
    );
  }
  if (database === undefined) {
    if (facts.databaseError !== undefined)
      insights.push(`Database statistics unavailable: ${facts.databaseError}`);
    return insights;
  }
  const usable = usableConnections(database);
  const serverPercent = usable > 0 ? Math.floor((database.serverClientConnections / usable) * 100) : 100;
  if (serverPercent >= thresholds.serverCapacityPercent) {
    insights.push(
      `PostgreSQL at ${serverPercent}% of its usable connections (${database.serverClientConnections}` +
        ` of ${usable}) - lower POOL_SIZE × POOL_COUNT per instance or put PgBouncer in front`,
    );
  }
  if (database.activity.longestTransactionSeconds * 1000 >= thresholds.longTransactionMillis) {
    insights.push(
      `Longest transaction open for ${formatNumber(database.activity.longestTransactionSeconds / 60)}` +
        ' minutes - long transactions hold connections and block vacuum',
    );
  }
  if (database.idleInTransactionOverThreshold > 0) {
    insights.push(
      `${plural(database.idleInTransactionOverThreshold, 'session')} idle in transaction for over ` +
        `${formatNumber(thresholds.idleInTransactionMillis / 1000)} s - commit or roll back promptly, ` +
        'or set idle_in_transaction_session_timeout',
    );
  }
  const listed = database.unusedIndexes.slice(0, thresholds.unusedIndexesListed);
  for (const index of listed) {
    insights.push(
      `Unused index ${index.schema}.${index.index} on ${index.schema}.${index.table} (idx_scan = 0) ` +
        '- consider dropping it',
    );
  }
  const unlisted = database.unusedIndexes.length - listed.length;
  if (unlisted > 0)
    insights.push(`${plural(unlisted, 'more unused index', 'more unused indexes')} (idx_scan = 0)`);
  return insights;
}

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** At most two decimals, no trailing zeros: 5, 0.5, 2.25. */
function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}
