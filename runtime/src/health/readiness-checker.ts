/**
 * The background readiness check. It runs `SELECT 1` every
 * READINESS_INTERVAL_MS on its own `pg.Client`, outside the pool, so it never
 * queues behind application checkouts, and `/health/ready` answers from the
 * latest result without waiting. Every check (reconnect included) is bounded
 * by READINESS_TIMEOUT_MS; a broken connection is destroyed and reopened by
 * the next check. Diagnostics queries share the same connection through
 * `withClient`, one operation at a time, so the process never holds more than
 * one connection outside the pool.
 */
import pg from 'pg';
import type { Logger } from '../pool/pool-types.js';

/** The latest readiness verdict. */
export interface ReadinessResult {
  readonly healthy: boolean;
  /** Round trip of `SELECT 1` in ms (rounded to 0.1 ms); `undefined` when the check failed. */
  readonly latencyMillis: number | undefined;
  /** Why the check failed; `undefined` when healthy. */
  readonly reason: string | undefined;
  /** `Date.now()` of the result. */
  readonly checkedAt: number;
}

/** Options of `createReadinessChecker`. */
export interface ReadinessCheckerOptions {
  /** Connection parameters of the dedicated client. */
  readonly clientConfig: pg.ClientConfig;
  /** Pause between the end of one check and the start of the next (READINESS_INTERVAL_MS). */
  readonly intervalMillis: number;
  /** Bound on one check, reconnect included (READINESS_TIMEOUT_MS). */
  readonly timeoutMillis: number;
  readonly logger: Logger;
  /** Called with every new result (the server precomputes its response from it). */
  readonly onResult?: (result: ReadinessResult) => void;
  /** @default pg.Client */
  readonly Client?: typeof pg.Client;
}

/** The checker's handle. */
export interface ReadinessChecker {
  /** The latest result; unhealthy ("no check has finished yet") before the first one. */
  readonly latest: ReadinessResult;
  /** Starts the periodic checks; the first runs at once. */
  start(): void;
  /** Runs one check now (queued behind any running operation) and returns its result. */
  checkNow(): Promise<ReadinessResult>;
  /**
   * Runs `operation` on the dedicated connection, after any running check,
   * bounded by `timeoutMillis`; on timeout the connection is destroyed so the
   * next check reconnects.
   */
  withClient<T>(operation: (client: pg.Client) => Promise<T>, timeoutMillis: number): Promise<T>;
  /** Stops checking and closes the connection. */
  stop(): Promise<void>;
}

/** Thrown when an operation on the dedicated connection passes its bound. */
export class ReadinessTimeoutError extends Error {
  override readonly name = 'ReadinessTimeoutError';
}

/** Creates a stopped checker; call `start()`. */
export function createReadinessChecker(options: ReadinessCheckerOptions): ReadinessChecker {
  const { intervalMillis, timeoutMillis, logger } = options;
  const Client = options.Client ?? pg.Client;
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  /** The client being connected, so a timeout or stop() can destroy it too. */
  let candidateClient: pg.Client | undefined;
  let latest: ReadinessResult = { healthy: false, latencyMillis: undefined, reason: 'no readiness check has finished yet', checkedAt: Date.now() };
  let checks = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let started = false;
  let queue: Promise<unknown> = Promise.resolve();

  const discard = (target: pg.Client): void => {
    if (client === target) client = undefined;
    target.end().catch(() => undefined);
    // end() waits for the server's goodbye, which a dead socket never sends.
    target.connection.stream.destroy();
  };

  const connected = async (): Promise<pg.Client> => {
    if (client !== undefined) return client;
    connecting ??= (async () => {
      // Copied with descriptors: the pool's configuration keeps the password non-enumerable, which a spread would drop.
      const config = Object.defineProperties({}, Object.getOwnPropertyDescriptors(options.clientConfig)) as pg.ClientConfig;
      config.connectionTimeoutMillis = timeoutMillis;
      const candidate = new Client(config);
      candidateClient = candidate;
      // Without a listener an error on the idle connection (server restart, network loss) would crash the process.
      candidate.on('error', (error: Error) => {
        logger.debug({ err: error.message }, 'readiness connection broke; the next check reconnects');
        discard(candidate);
      });
      try {
        await candidate.connect();
      } catch (error) {
        discard(candidate);
        throw error;
      }
      if (stopped) {
        discard(candidate);
        throw new Error('the readiness checker is stopped');
      }
      client = candidate;
      return candidate;
    })().finally(() => {
      connecting = undefined;
      candidateClient = undefined;
    });
    return connecting;
  };

  const bounded = async <T>(operation: () => Promise<T>, bound: number, what: string): Promise<T> => {
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => {
        if (client !== undefined) discard(client);
        if (candidateClient !== undefined) discard(candidateClient);
        reject(new ReadinessTimeoutError(`${what} did not finish within ${bound} ms`));
      }, bound);
      timeout.unref();
    });
    const running = operation();
    running.catch(() => undefined);
    try {
      return await Promise.race([running, expired]);
    } finally {
      clearTimeout(timeout);
    }
  };

  const serial = <T>(operation: () => Promise<T>): Promise<T> => {
    const next = queue.then(operation, operation);
    queue = next.catch(() => undefined);
    return next;
  };

  const record = (result: ReadinessResult): ReadinessResult => {
    const previous = latest;
    latest = result;
    checks += 1;
    if (result.healthy && !previous.healthy) {
      if (checks === 1) logger.info({ latencyMillis: result.latencyMillis }, 'database connection for readiness checks established: ready');
      else logger.info({ latencyMillis: result.latencyMillis }, 'database connection recovered: readiness is healthy again');
    } else if (!result.healthy && (previous.healthy || checks === 1)) {
      if (checks === 1) logger.warn({ reason: result.reason }, 'database connection unavailable at start: readiness answers 503 until it connects');
      else logger.warn({ reason: result.reason }, 'database connection lost: readiness answers 503');
    }
    options.onResult?.(result);
    return result;
  };

  const check = (): Promise<ReadinessResult> => serial(async () => {
    try {
      const latencyMillis = await bounded(async () => {
        const reused = client !== undefined;
        let connection = await connected();
        let begin = performance.now();
        try {
          await connection.query('SELECT 1');
        } catch (error) {
          discard(connection);
          // A kept connection can have died quietly (server restart, idle timeout, pg_terminate_backend):
          // that says nothing about the database, so retry once on a fresh one within the same bound.
          if (!reused || stopped) throw error;
          connection = await connected();
          begin = performance.now();
          await connection.query('SELECT 1');
        }
        return Math.round((performance.now() - begin) * 10) / 10;
      }, timeoutMillis, 'the readiness check');
      return record({ healthy: true, latencyMillis, reason: undefined, checkedAt: Date.now() });
    } catch (error) {
      // A check cut short by stop() says nothing about the database.
      if (stopped) return latest;
      return record({ healthy: false, latencyMillis: undefined, reason: describeError(error), checkedAt: Date.now() });
    }
  });

  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    void check().finally(() => {
      if (stopped) return;
      timer = setTimeout(tick, intervalMillis);
      timer.unref();
    });
  };

  return {
    get latest() { return latest; },
    start() {
      if (started || stopped) return;
      started = true;
      tick();
    },
    checkNow: check,
    withClient(operation, bound) {
      return serial(() => bounded(async () => operation(await connected()), bound, 'the diagnostics query'));
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await queue;
      if (client !== undefined) {
        const last = client;
        client = undefined;
        await bounded(() => last.end(), timeoutMillis, 'closing the readiness connection').catch(() => last.connection.stream.destroy());
      }
    },
  };
}

/** One line for an error: its message, with the SQLSTATE or errno code when there is one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message !== '' ? error.message : error.name;
  // AggregateError (IPv4 + IPv6 both refused) has an empty message.
  if (message === 'AggregateError' && error instanceof AggregateError) return error.errors.map(describeError).join('; ');
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
