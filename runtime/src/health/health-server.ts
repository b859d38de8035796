/**
 * `createHealthServer`: the HTTP server the probes, Compose healthchecks and
 * operators call (`/health`, `/health/ready`, `/health/diagnostics`,
 * `/metrics`), and the graceful shutdown sequence around the pool.
 *
 * Modelled on lightship's factory: defaults resolved once, the exit function
 * injected so tests never end the test process, a real server on any port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { HEALTH_PATHS } from '../contract/http-contract.js';
import type { Settings } from '../contract/load-settings.js';
import type { ClientAtsPool, Logger } from '../pool/pool-types.js';
import { silentLogger } from '../logging/create-logger.js';
import { createPoolMetrics, type PoolMetrics } from '../metrics/pool-metrics.js';
import { createBearerVerifier } from './bearer-token.js';
import { probeClientConfig } from '../pool/client-config.js';
import { RECONNECT_MAX_MILLIS } from '../pool/create-pool.js';
import { diagnosticsBody, readDatabaseFacts } from './diagnostics.js';
import {
  DEFAULT_INSIGHT_THRESHOLDS,
  type DatabaseFacts,
  type InsightThresholds,
} from './performance-insights.js';
import { PoolHistory } from './pool-history.js';
import { trackConnections } from '../app/open-connections.js';
import { prepareJson, send, sendJson, type PreparedResponse } from './prepared-response.js';
import { describeError } from '../errors/describe-error.js';
import {
  createReadinessChecker,
  noCheckYet,
  type ReadinessChecker,
  type ReadinessResult,
} from './readiness-checker.js';
import { READINESS_REASONS } from './readiness-reason.js';

/** Options of `createHealthServer`. */
export interface HealthServerOptions {
  /** The pool whose health and metrics are served; `shutdown()` drains it. */
  readonly pool: ClientAtsPool;
  /** Settings (port, readiness, shutdown and token knobs, database URL for the readiness connection). */
  readonly settings: Settings;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Metrics to serve; pass the same object's `observer` to `createPool`. @default gauges only, on a new registry */
  readonly metrics?: PoolMetrics;
  /** Port to listen on. @default settings.port */
  readonly port?: number;
  /** Address to listen on. @default settings.host (HOST), else all interfaces */
  readonly host?: string;
  /**
   * Longest a client may take to send a request's headers (Node's `headersTimeout`);
   * a slow or idle client is then answered 408 and disconnected. @default 10000
   */
  readonly headersTimeoutMillis?: number;
  /** Longest a client may take to send a whole request (Node's `requestTimeout`). @default 30000 */
  readonly requestTimeoutMillis?: number;
  /** Signals that start `shutdown()` and then `exit(0)`; a second one calls `exit(1)` at once. @default [] (none) */
  readonly signals?: readonly NodeJS.Signals[];
  /** Ends the process after a signal-started shutdown. @default process.exit */
  readonly exit?: (code: number) => void;
  /** Run after the pool is closed, during shutdown (e.g. stop an embedded database). */
  readonly onShutdown?: () => Promise<void>;
  /** Overrides of the performance insight thresholds. */
  readonly insightThresholds?: Partial<InsightThresholds>;
  /** The window "recent" timeouts and overflow are counted over. @default 300000 (5 minutes) */
  readonly recentWindowMillis?: number;
  /** How often the pool counters are sampled for that window. @default 10000 */
  readonly historySampleMillis?: number;
  /** Bound on the diagnostics queries. @default 2500 */
  readonly diagnosticsTimeoutMillis?: number;
  /** Called with every readiness result, after `/health/ready` answers from it (tests count checks with it). */
  readonly onReadinessResult?: (result: ReadinessResult) => void;
  /**
   * Connection of the readiness check. @default the pool's configuration (URL, TLS) with application_name
   * `clientats-readiness`
   */
  readonly readinessClientConfig?: pg.ClientConfig;
  /**
   * Answers every request that is not one of the runtime's paths (see `hostApplication`).
   * Shutdown waits for its requests in flight before it drains the pool. @default 404 for any other path
   */
  readonly application?: (request: IncomingMessage, response: ServerResponse) => void;
}

/** A running health server. */
export interface HealthServer {
  readonly server: Server;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** `http://127.0.0.1:<port>` (or the HOST address it listens on) */
  readonly url: string;
  readonly registry: Registry;
  /** True from the first moment of shutdown. */
  readonly shuttingDown: boolean;
  /** Requests being answered right now (the runtime's paths and the application's). */
  readonly requestsInFlight: number;
  /** The latest readiness result. */
  readonly readiness: ReadinessResult;
  /** Runs a readiness check now (instead of waiting for the next period). */
  checkReadiness(): Promise<ReadinessResult>;
  /**
   * The shutdown sequence: readiness 503 at once (and `Connection: close` on
   * every answer), wait `delayMillis` (SHUTDOWN_DELAY_MS), stop accepting and
   * close idle keep-alive sockets, let requests in flight finish, drain the
   * pool, close it, stop the readiness check; SHUTDOWN_DRAIN_MS bounds the
   * requests and the pool together. Idempotent.
   */
  shutdown(options?: { delayMillis?: number }): Promise<void>;
  /** Stops the listener and the readiness check at once, leaving the pool to its owner. Idempotent. */
  close(): Promise<void>;
}

/** `application_name` of the readiness connection, so it can be told apart in `pg_stat_activity`. */
const READINESS_APPLICATION_NAME = 'clientats-readiness';

const ALLOW = ['Allow', 'GET, HEAD'];
const LIVE = prepareJson(200, { status: 'ok' });
const NOT_FOUND = prepareJson(404, { status: 'not_found', error: 'unknown path' });
const NOT_ALLOWED = prepareJson(
  405,
  { status: 'method_not_allowed', error: 'only GET and HEAD are allowed' },
  ALLOW,
);
const UNAUTHORIZED = prepareJson(401, { status: 'unauthorized', error: 'a valid bearer token is required' }, [
  'WWW-Authenticate',
  'Bearer',
]);
const SHUTTING_DOWN_REASON = 'shutting down';

/** The readiness answer for a check result. */
function readyResponse(result: ReadinessResult, shuttingDown: boolean): PreparedResponse {
  if (shuttingDown) return prepareJson(503, { status: 'unhealthy', reason: SHUTTING_DOWN_REASON });
  if (result.healthy)
    return prepareJson(200, {
      status: 'healthy',
      database: { status: 'healthy', latency_ms: result.latencyMillis },
    });
  // Anonymous callers get a fixed short phrase; the full reason (user names, hosts) is logged and in diagnostics.
  const reason = result.summary ?? READINESS_REASONS.unreachable;
  return prepareJson(503, { status: 'unhealthy', reason, database: { status: 'unhealthy', error: reason } });
}

/** Starts the health server and its background readiness check; resolves once it listens. */
export async function createHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { pool, settings } = options;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? createPoolMetrics({ processMetrics: false });
  metrics.track(() => pool.snapshot());
  const thresholds: InsightThresholds = { ...DEFAULT_INSIGHT_THRESHOLDS, ...options.insightThresholds };
  const diagnosticsTimeoutMillis = options.diagnosticsTimeoutMillis ?? 2500;
  const verify = createBearerVerifier(settings.healthCheckToken);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? [];

  let shuttingDown = false;
  let ready: PreparedResponse = readyResponse(noCheckYet(), false);
  const readiness: ReadinessChecker = createReadinessChecker({
    clientConfig:
      options.readinessClientConfig ?? probeClientConfig(pool.clientConfig, READINESS_APPLICATION_NAME),
    intervalMillis: settings.readinessIntervalMillis,
    timeoutMillis: settings.readinessTimeoutMillis,
    connectTimeoutMillis: settings.connectTimeoutMillis,
    logger,
    poolSnapshot: () => pool.snapshot(),
    poolRecoveryGraceMillis: RECONNECT_MAX_MILLIS + settings.connectTimeoutMillis,
    onResult: (result) => {
      ready = readyResponse(result, shuttingDown);
      options.onReadinessResult?.(result);
    },
  });
  metrics.trackReadiness?.(() => readiness.latest);
  const history = new PoolHistory(() => pool.snapshot(), options.recentWindowMillis ?? 300_000);
  const sampler = setInterval(() => history.sample(), options.historySampleMillis ?? 10_000);
  sampler.unref();

  const diagnostics = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!verify(request.headers.authorization)) {
      send(response, UNAUTHORIZED);
      return;
    }
    let database: DatabaseFacts | undefined;
    let databaseError: string | undefined;
    try {
      database = await readiness.withClient(
        (client) => readDatabaseFacts(client, thresholds),
        diagnosticsTimeoutMillis,
      );
    } catch (error) {
      databaseError = describeError(error);
    }
    sendJson(
      response,
      200,
      diagnosticsBody({
        readiness: readiness.latest,
        shuttingDown,
        pool: pool.snapshot(),
        recent: history.recent(),
        database,
        databaseError,
        thresholds,
      }),
    );
  };

  const metricsText = async (response: ServerResponse): Promise<void> => {
    const text = await metrics.registry.metrics();
    response.writeHead(200, {
      'Content-Type': metrics.registry.contentType,
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
    });
    response.end(text);
  };

  const failed = (response: ServerResponse, error: unknown): void => {
    logger.error({ err: describeError(error) }, 'health server request failed');
    if (!response.headersSent) sendJson(response, 500, { status: 'error', error: 'internal error' });
    else response.destroy();
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    // Keep-alive clients reconnect (to another instance, once endpoints are updated) instead of
    // sending their next request down a socket this process is about to close.
    if (shuttingDown) response.setHeader('Connection', 'close');
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = request.method;
    const readable = method === 'GET' || method === 'HEAD';
    switch (path) {
      case HEALTH_PATHS.liveness:
        send(response, readable ? LIVE : NOT_ALLOWED);
        return;
      case HEALTH_PATHS.readiness:
        send(response, readable ? ready : NOT_ALLOWED);
        return;
      case HEALTH_PATHS.diagnostics:
        if (readable) diagnostics(request, response).catch((error: unknown) => failed(response, error));
        else send(response, NOT_ALLOWED);
        return;
      case HEALTH_PATHS.metrics:
        if (readable) metricsText(response).catch((error: unknown) => failed(response, error));
        else send(response, NOT_ALLOWED);
        return;
      default:
        if (options.application === undefined) send(response, NOT_FOUND);
        else options.application(request, response);
    }
  };

  const headersTimeout = options.headersTimeoutMillis ?? HEADERS_TIMEOUT_MILLIS;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, options.requestTimeoutMillis ?? REQUEST_TIMEOUT_MILLIS),
      // Node checks those timeouts only this often (30 s by default), which would let a slow client stay far longer.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    handle,
  );
  const host = options.host ?? settings.host;
  const connections = trackConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? settings.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  readiness.start();

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = (shutdownOptions: { delayMillis?: number } = {}): Promise<void> => {
    shutdownPromise ??= (async () => {
      shuttingDown = true;
      ready = readyResponse(readiness.latest, true);
      const delayMillis = shutdownOptions.delayMillis ?? settings.shutdownDelayMillis;
      logger.info(
        { delayMillis, drainMillis: settings.shutdownDrainMillis },
        'shutdown started: readiness answers 503; the listener closes after the shutdown delay',
      );
      clearInterval(sampler);
      await new Promise((resolve) => setTimeout(resolve, delayMillis));
      void stopListening();
      connections.closeIdle();
      logger.info(
        { requestsInFlight: connections.requestsInFlight, inUse: pool.snapshot().inUse },
        'shutdown: stopped accepting HTTP connections; draining the connection pool',
      );
      const started = performance.now();
      // Requests in flight first (and those on sockets just accepted): they may still need the pool.
      await waitAtMost(connections.settled(), settings.shutdownDrainMillis);
      if (connections.requestsInFlight > 0 || connections.fresh > 0) {
        logger.warn(
          { requestsInFlight: connections.requestsInFlight, socketsWithoutRequest: connections.fresh },
          'shutdown: requests still in flight after SHUTDOWN_DRAIN_MS; closing the pool anyway',
        );
      } else {
        logger.info(
          { waitedMillis: Math.round(performance.now() - started) },
          'shutdown: requests in flight answered',
        );
      }
      connections.closeIdle();
      try {
        await pool.end({
          drainMillis: Math.max(0, settings.shutdownDrainMillis - (performance.now() - started)),
        });
        logger.info(
          { drainedMillis: Math.round(performance.now() - started) },
          'shutdown: connection pool closed',
        );
      } finally {
        // Requests already being answered (diagnostics use the readiness connection, not the pool)
        // may finish within what is left of the drain bound before their sockets are cut.
        const remainingMillis = Math.max(0, settings.shutdownDrainMillis - (performance.now() - started));
        await waitAtMost(stopListening(), remainingMillis);
        await close();
        await options.onShutdown?.();
        logger.info({}, 'shutdown complete');
      }
    })();
    return shutdownPromise;
  };

  let listenerClosed: Promise<void> | undefined;
  /** Stops accepting connections; resolves once the open ones have ended too. */
  const stopListening = (): Promise<void> => {
    listenerClosed ??= connections.stopListening();
    return listenerClosed;
  };

  let closePromise: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closePromise ??= (async () => {
      shuttingDown = true;
      ready = readyResponse(readiness.latest, true);
      clearInterval(sampler);
      const closed = stopListening();
      connections.closeIdle();
      // Diagnostics queued on the readiness connection finish or time out first, so the
      // requests waiting on them still get a whole answer before any socket is cut.
      await readiness.stop();
      await waitAtMost(closed, IN_FLIGHT_GRACE_MILLIS);
      server.closeAllConnections();
      await closed;
      // http.Server's close as well, for its timeout-checking interval; the listener is already closed.
      server.close(() => undefined);
    })();
    return closePromise;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger.warn({ signal }, `second ${signal} during shutdown: exiting at once, connections not drained`);
      removeSignalHandlers();
      exit(1);
      return;
    }
    logger.info({ signal }, `${signal} received: graceful shutdown of the server and the connection pool`);
    shutdown().then(
      () => {
        removeSignalHandlers();
        exit(0);
      },
      (error: unknown) => {
        logger.error({ err: describeError(error) }, 'shutdown failed');
        removeSignalHandlers();
        exit(1);
      },
    );
  };
  const removeSignalHandlers = (): void => {
    for (const signal of signals) process.off(signal, onSignal);
  };
  for (const signal of signals) process.on(signal, onSignal);
  // Logged only now, so whoever waits for this line can already signal a graceful shutdown.
  logger.info({ port, paths: HEALTH_PATHS }, 'health server listening');
  if (settings.healthCheckToken === undefined) {
    logger.warn(
      { path: HEALTH_PATHS.diagnostics },
      'HEALTH_CHECK_TOKEN is not set: /health/diagnostics answers 401 to everyone',
    );
  }

  return {
    server,
    port,
    url: `http://${localAddress(host)}:${port}`,
    registry: metrics.registry,
    get shuttingDown() {
      return shuttingDown;
    },
    get requestsInFlight() {
      return connections.requestsInFlight;
    },
    get readiness() {
      return readiness.latest;
    },
    checkReadiness: () => readiness.checkNow(),
    shutdown,
    close,
  };
}

/** Default of `headersTimeoutMillis`: a probe sends its few header lines at once. */
const HEADERS_TIMEOUT_MILLIS = 10_000;
/** Default of `requestTimeoutMillis`. */
const REQUEST_TIMEOUT_MILLIS = 30_000;

/** Where a local client reaches a server bound to `host`: loopback for "all interfaces", IPv6 in brackets. */
function localAddress(host: string | undefined): string {
  if (host === undefined || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** How long `close()` lets requests still being answered finish before it cuts their sockets. */
const IN_FLIGHT_GRACE_MILLIS = 1000;

/** Resolves when `promise` settles or after `millis`, whichever comes first. */
async function waitAtMost(promise: Promise<void>, millis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, millis);
    timer.unref();
  });
  try {
    await Promise.race([promise, elapsed]);
  } finally {
    clearTimeout(timer);
  }
}
