/**
 * Prometheus metrics of the pool, on a per-server prom-client `Registry` (never
 * the global one, so two servers in one process do not collide).
 *
 * The guide's names are kept as documented (milliseconds), and each has a
 * base-unit twin named after OpenTelemetry's `db.client.connection.*` metrics.
 * Histograms observe through the `PoolObserver` hooks, so pass `observer` to
 * `createPool`; gauges read `pool.snapshot()` at scrape time. The histograms
 * are `FastHistogram`s: a hook only adds to preallocated per-pool counters, and
 * the text is built at scrape time, identical to prom-client's `Histogram`.
 *
 * Every name follows Prometheus naming (`promtool check metrics`) except the
 * guide's two millisecond histograms, kept as the guide documents them. The
 * alert rules and the dashboard the generator writes (src/observability) use
 * these names; the metric names test there scrapes a real runtime.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { perInstanceConnections, READINESS_CONNECTIONS } from '../contract/connection-bound.js';
import { FastHistogram, type HistogramSeries } from './fast-histogram.js';
import type { CloseReason, PoolObserver, PoolSnapshot } from '../pool/pool-types.js';

/** What the metrics read from the readiness check: `ReadinessResult` has these fields. */
export interface ReadinessState {
  /** The latest `SELECT 1` on the readiness connection succeeded. */
  readonly healthy: boolean;
}

/**
 * The guide's names that `promtool check metrics` rejects ("metric names should not contain abbreviated
 * units"); they stay because the guide documents them, beside their base-unit twins in seconds.
 */
export const GUIDE_NAMING_EXCEPTIONS = ['db_connection_wait_time_ms', 'db_query_duration_ms'] as const;

/**
 * prom-client's default metrics that break Prometheus naming (gauges named `_total`); each
 * is the sum over the `type` label of its labelled twin (`nodejs_active_handles{type}`), which stays.
 */
export const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Checkout wait buckets in ms: a healthy acquire takes microseconds, so they start far below 1 ms. */
export const WAIT_BUCKETS_MS = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
];
/** Query duration buckets in ms. */
export const QUERY_BUCKETS_MS = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
];

const toSeconds = (buckets: readonly number[]): number[] => buckets.map((millis) => millis / 1000);

/** The metrics of one pool and the hooks that feed them. */
export interface PoolMetrics {
  /** The registry `/metrics` serves. */
  readonly registry: Registry;
  /** Pass to `createPool({ observer })`. */
  readonly observer: PoolObserver;
  /** Where gauges read live counts from at scrape time; the health server calls it with `pool.snapshot`. */
  track(snapshot: () => PoolSnapshot): void;
  /** Where `db_readiness_healthy` reads the latest readiness result; the health server calls it. */
  trackReadiness?(latest: () => ReadinessState): void;
}

/** Options of `createPoolMetrics`. */
export interface PoolMetricsOptions {
  /** @default a new Registry */
  readonly registry?: Registry;
  /** Register prom-client's default process metrics too. @default true */
  readonly processMetrics?: boolean;
}

/** Creates the pool metrics on a registry. */
export function createPoolMetrics(options: PoolMetricsOptions = {}): PoolMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  let source: (() => PoolSnapshot) | undefined;
  let readiness: (() => ReadinessState) | undefined;
  /** Calls `set` once per pool partition of the current snapshot. */
  const perPool = (set: (pool: PoolSnapshot['pools'][number], snapshot: PoolSnapshot) => void): void => {
    if (source === undefined) return;
    const snapshot = source();
    for (const pool of snapshot.pools) set(pool, snapshot);
  };

  new Gauge({
    name: 'db_connections_active',
    help: 'Connections checked out of the pool right now.',
    labelNames: ['pool'],
    registers,
    collect() {
      perPool((pool) => this.set({ pool: String(pool.index) }, pool.inUse));
    },
  });
  new Gauge({
    name: 'db_connections_idle',
    help: 'Open connections waiting in the pool right now.',
    labelNames: ['pool'],
    registers,
    collect() {
      perPool((pool) => this.set({ pool: String(pool.index) }, pool.idle));
    },
  });
  new Gauge({
    name: 'db_client_connections',
    help: 'Open connections by state, idle or used (OpenTelemetry db.client.connection.count).',
    labelNames: ['pool', 'state'],
    registers,
    collect() {
      perPool((pool) => {
        this.set({ pool: String(pool.index), state: 'idle' }, pool.idle);
        this.set({ pool: String(pool.index), state: 'used' }, pool.inUse);
      });
    },
  });
  new Gauge({
    name: 'db_client_connection_max',
    help: 'Most connections a pool may open: POOL_SIZE + MAX_OVERFLOW (db.client.connection.max).',
    labelNames: ['pool'],
    registers,
    collect() {
      perPool((pool, snapshot) =>
        this.set({ pool: String(pool.index) }, snapshot.poolSize + snapshot.maxOverflow),
      );
    },
  });
  new Gauge({
    name: 'db_client_connections_overflow',
    help: 'Overflow (MAX_OVERFLOW) connections open right now, in use or lingering idle.',
    labelNames: ['pool'],
    registers,
    collect() {
      perPool((pool) => this.set({ pool: String(pool.index) }, pool.overflowOpen));
    },
  });
  new Gauge({
    name: 'db_connections_open',
    help:
      "Connections this process holds to the database: every pool's open and opening ones plus the readiness " +
      "check's own (what the connection budget bounds per instance).",
    registers,
    collect() {
      if (source === undefined) return;
      const pools = source().pools.reduce(
        (sum, pool) => sum + pool.persistentOpen + pool.overflowOpen + pool.connecting,
        0,
      );
      this.set(pools + (readiness?.().healthy === true ? READINESS_CONNECTIONS : 0));
    },
  });
  new Gauge({
    name: 'db_connections_open_max',
    help: 'Most connections this process may hold: POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + the readiness connection.',
    registers,
    collect() {
      if (source !== undefined) this.set(perInstanceConnections(source()));
    },
  });
  new Gauge({
    name: 'db_client_connection_pending_requests',
    help:
      'Callers waiting to check out a connection; the queue is shared by all pools ' +
      '(db.client.connection.pending_requests).',
    registers,
    collect() {
      if (source !== undefined) this.set(source().waiting);
    },
  });

  const waitMillis = new FastHistogram({
    name: 'db_connection_wait_time_ms',
    help: 'Time waiting to check out a connection, in milliseconds.',
    labelNames: ['pool'],
    buckets: WAIT_BUCKETS_MS,
    registers,
  });
  const waitSeconds = new FastHistogram({
    name: 'db_client_connection_wait_time_seconds',
    help: 'Time waiting to check out a connection (db.client.connection.wait_time).',
    labelNames: ['pool'],
    buckets: toSeconds(WAIT_BUCKETS_MS),
    registers,
  });
  const queryMillis = new FastHistogram({
    name: 'db_query_duration_ms',
    help: 'Duration of queries run through the pool, in milliseconds.',
    labelNames: ['pool'],
    buckets: QUERY_BUCKETS_MS,
    registers,
  });
  const querySeconds = new FastHistogram({
    name: 'db_client_operation_duration_seconds',
    help: 'Duration of queries run through the pool (db.client.operation.duration).',
    labelNames: ['pool'],
    buckets: toSeconds(QUERY_BUCKETS_MS),
    registers,
  });
  const queryErrors = new Counter({
    name: 'db_client_operation_errors_total',
    help: 'Queries run through the pool that failed.',
    labelNames: ['pool'],
    registers,
  });
  const timeouts = new Counter({
    name: 'db_client_connection_timeouts_total',
    help: 'Checkouts that gave up after POOL_TIMEOUT (db.client.connection.timeouts).',
    registers,
  });
  const errors = new Counter({
    name: 'db_client_connection_errors_total',
    help: 'Failed connection attempts (kind="connect") and errors that evicted an open connection (kind="connection").',
    labelNames: ['kind'],
    registers,
  });
  const opened = new Counter({
    name: 'db_client_connections_opened_total',
    help: 'Connections opened, by kind (persistent or overflow).',
    labelNames: ['pool', 'kind'],
    registers,
  });
  const closed = new Counter({
    name: 'db_client_connections_closed_total',
    help: 'Connections closed, by reason.',
    labelNames: ['pool', 'reason'],
    registers,
  });
  errors.inc({ kind: 'connect' }, 0);
  errors.inc({ kind: 'connection' }, 0);
  timeouts.inc(0);

  // Series are cached per pool index, so the hot-path hooks neither allocate nor look labels up.
  type Children = {
    wait: HistogramSeries;
    waitS: HistogramSeries;
    query: HistogramSeries;
    queryS: HistogramSeries;
    failed: Counter.Internal;
  };
  const children: Children[] = [];
  const childrenOf = (poolIndex: number): Children => {
    let entry = children[poolIndex];
    if (entry === undefined) {
      const pool = String(poolIndex);
      entry = {
        wait: waitMillis.labels({ pool }),
        waitS: waitSeconds.labels({ pool }),
        query: queryMillis.labels({ pool }),
        queryS: querySeconds.labels({ pool }),
        failed: queryErrors.labels(pool),
      };
      children[poolIndex] = entry;
    }
    return entry;
  };

  const observer: PoolObserver = {
    onCheckout(poolIndex, wait) {
      const entry = childrenOf(poolIndex);
      entry.wait.observe(wait);
      entry.waitS.observe(wait / 1000);
    },
    onQuery(poolIndex, duration, failed) {
      const entry = childrenOf(poolIndex);
      entry.query.observe(duration);
      entry.queryS.observe(duration / 1000);
      if (failed) entry.failed.inc();
    },
    onTimeout() {
      timeouts.inc();
    },
    onConnectionOpened(poolIndex, overflow) {
      opened.inc({ pool: String(poolIndex), kind: overflow ? 'overflow' : 'persistent' });
    },
    onConnectionClosed(poolIndex, _overflow, reason: CloseReason) {
      closed.inc({ pool: String(poolIndex), reason });
    },
    onConnectError() {
      errors.inc({ kind: 'connect' });
    },
    onConnectionError() {
      errors.inc({ kind: 'connection' });
    },
  };

  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  return {
    registry,
    observer,
    track(snapshot) {
      source = snapshot;
      // Pools appear in the histograms from the first scrape, not only after their first checkout.
      for (let index = 0; index < snapshot().poolCount; index += 1) childrenOf(index).failed.inc(0);
    },
    trackReadiness(latest) {
      // Registered here, not up front: an unlabelled gauge exports 0 ("unhealthy") until it is set.
      if (readiness === undefined) {
        new Gauge({
          name: 'db_readiness_healthy',
          help: '1 when the latest readiness check (SELECT 1 on its own connection) succeeded, 0 when it failed.',
          registers,
          collect() {
            if (readiness !== undefined) this.set(readiness().healthy ? 1 : 0);
          },
        });
      }
      readiness = latest;
    },
  };
}

/** Calls every observer's hook in turn; for feeding the pool both metrics and log lines. */
export function combineObservers(...observers: readonly PoolObserver[]): PoolObserver {
  const hooks = <K extends keyof PoolObserver>(key: K): NonNullable<PoolObserver[K]>[] =>
    observers
      .map((observer) => observer[key]?.bind(observer))
      .filter((hook) => hook !== undefined) as NonNullable<PoolObserver[K]>[];
  const checkout = hooks('onCheckout');
  const query = hooks('onQuery');
  const timeout = hooks('onTimeout');
  const opened = hooks('onConnectionOpened');
  const closed = hooks('onConnectionClosed');
  const connectError = hooks('onConnectError');
  const connectionError = hooks('onConnectionError');
  return {
    onCheckout(poolIndex, wait) {
      for (const hook of checkout) hook(poolIndex, wait);
    },
    onQuery(poolIndex, duration, failed) {
      for (const hook of query) hook(poolIndex, duration, failed);
    },
    onTimeout() {
      for (const hook of timeout) hook();
    },
    onConnectionOpened(poolIndex, overflow) {
      for (const hook of opened) hook(poolIndex, overflow);
    },
    onConnectionClosed(poolIndex, overflow, reason) {
      for (const hook of closed) hook(poolIndex, overflow, reason);
    },
    onConnectError(error) {
      for (const hook of connectError) hook(error);
    },
    onConnectionError(error) {
      for (const hook of connectionError) hook(error);
    },
  };
}
