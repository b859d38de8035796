/**
 * The `clientats-runtime` process: settings → application module → (embedded
 * database) → pool → application listener → one HTTP server for the runtime's
 * paths and the application, with SIGTERM/SIGINT graceful shutdown. `main.ts`
 * calls it with the real process; tests call it with their own `exit` and output.
 */
import { ApplicationError, createApplicationListener, type ApplicationFactory } from '../app/application.js';
import { hostApplication } from '../app/host-application.js';
import { loadApplication } from '../app/load-application.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { perInstanceConnections } from '../contract/connection-bound.js';
import { redactDatabaseUrl } from '../contract/database-url.js';
import { loadSettings, SettingsError, type Environment, type Settings } from '../contract/load-settings.js';
import { createHealthServer, type HealthServer } from '../health/health-server.js';
import { describeError } from '../errors/describe-error.js';
import { createLogger, settingsForLog } from '../logging/create-logger.js';
import { createPoolLogObserver } from '../logging/pool-log-observer.js';
import { combineObservers, createPoolMetrics } from '../metrics/pool-metrics.js';
import { createPool } from '../pool/create-pool.js';
import type { ClientAtsPool, Logger } from '../pool/pool-types.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database.js';

/** Options of `startRuntime`. */
export interface RuntimeOptions {
  /** @default process.env */
  readonly env?: Environment;
  /** @default process.exit */
  readonly exit?: (code: number) => void;
  /** Where settings errors go, one line each. @default process.stderr */
  readonly writeError?: (line: string) => void;
  /** @default a pino logger on stdout at LOG_LEVEL */
  readonly logger?: Logger;
  /** Signals that start the graceful shutdown. @default ['SIGTERM', 'SIGINT'] */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * The application to host: called once with `{ pool, settings, logger }`, it returns the
   * request listener for every path that is not the runtime's. @default none (404 for other paths)
   */
  readonly app?: ApplicationFactory;
  /** Path of a module whose default export is the application (`clientats-runtime ./server.js`). */
  readonly appModule?: string;
  /** Port to listen on. @default settings.port (PORT) */
  readonly port?: number;
}

/**
 * Starts the runtime. Returns the health server, or `undefined` after calling
 * `exit(1)` when the settings are invalid or the server cannot start.
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<HealthServer | undefined> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const writeError =
    options.writeError ??
    ((line: string) => {
      process.stderr.write(`${line}\n`);
    });
  let settings: Settings;
  try {
    settings = loadSettings(options.env ?? process.env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    for (const problem of error.problems) writeError(problem.message);
    exit(1);
    return undefined;
  }
  let app = options.app;
  // Loaded before any database starts, so a typo in the path costs nothing.
  if (app === undefined && options.appModule !== undefined) {
    try {
      app = await loadApplication(options.appModule);
    } catch (error) {
      if (!(error instanceof ApplicationError)) throw error;
      writeError(error.message);
      exit(1);
      return undefined;
    }
  }
  const logger = options.logger ?? createLogger({ level: settings.logLevel });

  let embedded: EmbeddedDatabase | undefined;
  let pool: ClientAtsPool | undefined;
  try {
    if (settings.databaseUrl === undefined) {
      embedded = await startEmbeddedDatabase(logger);
      const database = embedded;
      process.once('exit', () => database.kill());
      settings = { ...settings, databaseUrl: embedded.url };
      logger.info(
        { databaseUrl: redactDatabaseUrl(embedded.url), dataDirectory: embedded.dataDirectory },
        'DATABASE_URL is not set: started an embedded PostgreSQL for development (its data is deleted on shutdown)',
      );
    }
    const metrics = createPoolMetrics();
    logger.info(
      { settings: settingsForLog(settings), maxConnections: perInstanceConnections(settings) },
      `connection pool starting: ${settings.poolCount} × ${settings.poolSize} connections (plus up ` +
        `to ${settings.maxOverflow} overflow per pool)`,
    );
    const started = performance.now();
    const observer = combineObservers(
      metrics.observer,
      createPoolLogObserver(logger, { poolTimeoutMillis: settings.poolTimeoutMillis }),
    );
    const created = createPool(settings, { logger, observer });
    pool = created;
    created.on('error', (error: Error) =>
      logger.warn({ err: describeError(error) }, 'connection pool error'),
    );
    created.ready.then(
      () =>
        logger.info(
          { connections: created.totalCount, millis: Math.round(performance.now() - started) },
          'connection pool ready: all persistent connections open',
        ),
      () => undefined,
    );
    let application: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
    if (app !== undefined) {
      const source =
        options.appModule === undefined
          ? 'the application'
          : `the application ${JSON.stringify(options.appModule)}`;
      const listener = await createApplicationListener(app, { pool: created, settings, logger }, source);
      application = hostApplication(listener, {
        logger,
        registry: metrics.registry,
        retryAfterSeconds: Math.max(1, Math.ceil(settings.poolTimeoutMillis / 1000)),
      });
      logger.info(
        { app: options.appModule ?? 'startRuntime({ app })' },
        'application started: the runtime hands it every request outside its own paths',
      );
    }
    const database = embedded;
    return await createHealthServer({
      application,
      port: options.port,
      pool: created,
      settings,
      logger,
      metrics,
      signals: options.signals ?? ['SIGTERM', 'SIGINT'],
      exit,
      onShutdown: database === undefined ? undefined : () => database.stop(),
    });
  } catch (error) {
    const cause = error instanceof ApplicationError ? error.cause : undefined;
    logger.error(
      { err: describeError(error), stack: cause instanceof Error ? cause.stack : undefined },
      `clientats-runtime could not start: ${describeError(error)}`,
    );
    await pool?.end({ drainMillis: 0 }).catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    exit(1);
    return undefined;
  }
}
