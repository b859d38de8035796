/**
 * The background readiness check. It runs `SELECT 1` every
 * READINESS_INTERVAL_MS on its own `pg.Client`, outside the pool, so it never
 * queues behind application checkouts, and `/health/ready` answers from the
 * latest result without waiting. Diagnostics queries share the same
 * connection through `withClient`, one operation at a time, so the process
 * never holds more than one connection outside the pool.
 *
 * Nothing here ever waits on a promise that can stay pending: every operation
 * races its own timer, and an operation that loses the race is abandoned for
 * good — the clients it used are destroyed (their sockets, never `end()`: a
 * client ended while connecting never settles its `connect()`) and forgotten.
 * A connect is bounded separately, by `connectTimeoutMillis`: when the check
 * that started it times out, the connect goes on in the background until its
 * own bound, and the next check takes the connection if it opened meanwhile.
 * So a busy machine whose connect + login takes longer than the check timeout
 * still recovers, while a stalled database (frozen server, silent link, a
 * proxy that holds) has its socket cut at the connect timeout and is seen
 * again by the first fresh connect after it answers.
 *
 * With `poolSnapshot`, readiness also reflects the pool: a pool with no open
 * connection whose connects are failing cannot serve, whatever the readiness
 * connection says; a pool that is merely busy can.
 */
import pg from 'pg';
import { closeClient, destroyClient } from '../pool/close-client.js';
import type { Logger, PoolSnapshot } from '../pool/pool-types.js';
import { describeError } from '../errors/describe-error.js';
import {
  READINESS_REASONS,
  readinessReason,
  readinessReasonOfMessage,
  ReadinessTimeoutError,
  type ReadinessReason,
} from './readiness-reason.js';

/** The latest readiness verdict. */
export interface ReadinessResult {
  readonly healthy: boolean;
  /** Round trip of `SELECT 1` in ms (rounded to 0.1 ms); `undefined` when the check failed. */
  readonly latencyMillis: number | undefined;
  /** Why the check failed, in full (for the log and diagnostics); `undefined` when healthy. */
  readonly reason: string | undefined;
  /** Why the check failed, as one of the short phrases anonymous callers get; `undefined` when healthy. */
  readonly summary: ReadinessReason | undefined;
  /** `Date.now()` when the check started. */
  readonly startedAt: number;
  /** `Date.now()` of the result. */
  readonly checkedAt: number;
}

/** The result before any check has finished: unhealthy. */
export function noCheckYet(now = Date.now()): ReadinessResult {
  return {
    healthy: false,
    latencyMillis: undefined,
    reason: 'no readiness check has finished yet',
    summary: READINESS_REASONS.noCheckYet,
    startedAt: now,
    checkedAt: now,
  };
}

/** Options of `createReadinessChecker`. */
export interface ReadinessCheckerOptions {
  /** Connection parameters of the dedicated client. */
  readonly clientConfig: pg.ClientConfig;
  /** Pause between the end of one check and the start of the next (READINESS_INTERVAL_MS). */
  readonly intervalMillis: number;
  /** Bound on one check, reconnect included (READINESS_TIMEOUT_MS). */
  readonly timeoutMillis: number;
  /**
   * Bound on one connect, TCP to login (POOL_CONNECT_TIMEOUT_MS). A connect that outlives the check
   * that started it continues in the background up to this bound; the next check reuses it.
   * @default timeoutMillis (a connect never outlives its check)
   */
  readonly connectTimeoutMillis?: number;
  readonly logger: Logger;
  /** Called with every new result (the server precomputes its response from it). */
  readonly onResult?: (result: ReadinessResult) => void;
  /** The pool whose ability to serve readiness also reflects. @default readiness checks the database only */
  readonly poolSnapshot?: () => PoolSnapshot;
  /**
   * After the database answers the readiness connection again following a failed
   * check, how long the pool may take to reopen a connection (its reconnect backoff)
   * before its connect errors from the outage count against readiness. @default 0
   */
  readonly poolRecoveryGraceMillis?: number;
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
   * next operation reconnects.
   */
  withClient<T>(operation: (client: pg.Client) => Promise<T>, timeoutMillis: number): Promise<T>;
  /** Stops checking and closes the connection. Settles within the check timeout after a running operation's bound. */
  stop(): Promise<void>;
}

/** One bounded operation; once `abandoned`, nothing it opened is kept. */
interface Attempt {
  abandoned: boolean;
  /** Clients this operation used: destroyed if it is abandoned. */
  readonly clients: Set<pg.Client>;
  /** The connect this operation waits for, if any: it outlives the operation when it has time left. */
  connecting?: pg.Client;
}

/** Creates a stopped checker; call `start()`. */
export function createReadinessChecker(options: ReadinessCheckerOptions): ReadinessChecker {
  const { intervalMillis, timeoutMillis, logger } = options;
  const connectTimeoutMillis = options.connectTimeoutMillis ?? timeoutMillis;
  const Client = options.Client ?? pg.Client;
  /** The open connection kept between operations. */
  let client: pg.Client | undefined;
  let latest = noCheckYet();
  let checks = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let started = false;
  let queue: Promise<unknown> = Promise.resolve();
  /** Whether the last round trip succeeded, and when the database answered again after failing. */
  let databaseAnswered: boolean | undefined;
  let databaseBackAt = Number.NEGATIVE_INFINITY;

  /** Kills the client's socket and forgets it; pg then settles whatever the client still holds. */
  const abandon = (target: pg.Client): void => {
    if (client === target) client = undefined;
    if (connecting?.candidate === target) connecting = undefined;
    destroyClient(target);
  };

  /** A connect in progress, kept across checks until it settles or passes `connectTimeoutMillis`. */
  let connecting: { readonly candidate: pg.Client; readonly opened: Promise<pg.Client> } | undefined;

  /** Starts a connect bounded by `connectTimeoutMillis`; on success the connection becomes the kept one. */
  const startConnect = (): Promise<pg.Client> => {
    // Copied with descriptors: the pool's configuration keeps the password non-enumerable, which a spread would drop.
    const config = Object.defineProperties(
      {},
      Object.getOwnPropertyDescriptors(options.clientConfig),
    ) as pg.ClientConfig;
    config.connectionTimeoutMillis = connectTimeoutMillis;
    const candidate = new Client(config);
    // Without a listener an error on the idle connection (server restart, network loss) would crash the process.
    candidate.on('error', (error: Error) => {
      logger.debug({ err: error.message }, 'readiness connection broke; the next check reconnects');
      abandon(candidate);
    });
    let connectTimer: NodeJS.Timeout | undefined;
    const opened = new Promise<pg.Client>((resolve, reject) => {
      // pg's own connect timer normally fires first; this one makes the bound independent of the driver.
      connectTimer = setTimeout(() => {
        abandon(candidate);
        reject(
          new ReadinessTimeoutError(`the readiness connect did not finish within ${connectTimeoutMillis} ms`),
        );
      }, connectTimeoutMillis);
      connectTimer.unref();
      candidate.connect().then(
        () => resolve(candidate),
        (error: unknown) => {
          abandon(candidate);
          reject(error);
        },
      );
    }).finally(() => clearTimeout(connectTimer));
    connecting = { candidate, opened };
    void opened.then(
      (connection) => {
        // Abandoned meanwhile (stop(), or the operation that owned it): it is already destroyed.
        if (connecting?.candidate !== connection) return;
        connecting = undefined;
        if (stopped) abandon(connection);
        else client = connection;
      },
      () => {
        if (connecting?.candidate === candidate) connecting = undefined;
      },
    );
    return opened;
  };

  /** The kept connection, the one being opened, or a fresh one; `reused` tells whether it was kept. */
  const acquire = async (attempt: Attempt): Promise<{ connection: pg.Client; reused: boolean }> => {
    if (client !== undefined) {
      attempt.clients.add(client);
      return { connection: client, reused: true };
    }
    const opened = connecting?.opened ?? startConnect();
    attempt.connecting = connecting?.candidate;
    const connection = await opened;
    // Too late for this operation; the connection is kept for the next one (unless stopped).
    if (attempt.abandoned || stopped)
      throw new Error('the readiness connection opened after its operation was abandoned');
    attempt.clients.add(connection);
    return { connection, reused: false };
  };

  /**
   * Runs `operation`, or abandons it (destroying its clients) once `bound` ms passed. Always settles within
   * `bound`.
   */
  const bounded = async <T>(
    operation: (attempt: Attempt) => Promise<T>,
    bound: number,
    what: string,
  ): Promise<T> => {
    const attempt: Attempt = { abandoned: false, clients: new Set() };
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => {
        attempt.abandoned = true;
        for (const each of attempt.clients) abandon(each);
        // A connect allowed no longer than this operation has had its time; a longer one goes on.
        if (attempt.connecting !== undefined && bound >= connectTimeoutMillis) abandon(attempt.connecting);
        reject(new ReadinessTimeoutError(`${what} did not finish within ${bound} ms`));
      }, bound);
      timeout.unref();
    });
    const running = operation(attempt);
    // The loser of the race is never awaited again; its rejection must not go unhandled.
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
    const fields = { latencyMillis: result.latencyMillis, reason: result.reason };
    if (result.healthy && !previous.healthy) {
      if (checks === 1) logger.info(fields, 'database connection for readiness checks established: ready');
      else logger.info(fields, 'database connection recovered: readiness is healthy again');
    } else if (!result.healthy && (previous.healthy || checks === 1)) {
      if (checks === 1)
        logger.warn(
          fields,
          'database connection unavailable at start: readiness answers 503 until it connects',
        );
      else logger.warn(fields, 'database connection lost: readiness answers 503');
    } else if (!result.healthy && previous.summary !== result.summary) {
      logger.warn(fields, `readiness still answers 503, now because: ${result.summary ?? ''}`);
    }
    options.onResult?.(result);
    return result;
  };

  const roundTrip = (attempt: Attempt): Promise<number> =>
    (async () => {
      let { connection, reused } = await acquire(attempt);
      let begin = performance.now();
      try {
        await connection.query('SELECT 1');
      } catch (error) {
        abandon(connection);
        // A kept connection can have died quietly (server restart, idle timeout, pg_terminate_backend):
        // that says nothing about the database, so retry once on a fresh one within the same bound.
        if (!reused || stopped || attempt.abandoned) throw error;
        ({ connection, reused } = await acquire(attempt));
        begin = performance.now();
        await connection.query('SELECT 1');
      }
      return Math.round((performance.now() - begin) * 10) / 10;
    })();

  const check = (): Promise<ReadinessResult> =>
    serial(async () => {
      const startedAt = Date.now();
      try {
        const latencyMillis = await bounded(roundTrip, timeoutMillis, 'the readiness check');
        if (databaseAnswered === false) databaseBackAt = Date.now();
        databaseAnswered = true;
        // Right after an outage the pool may still be in its reconnect backoff: its errors are from the outage.
        const inGrace = Date.now() - databaseBackAt < (options.poolRecoveryGraceMillis ?? 0);
        const poolProblem = inGrace ? undefined : poolCannotServe(options.poolSnapshot?.());
        if (poolProblem !== undefined) {
          return record({
            healthy: false,
            latencyMillis: undefined,
            ...poolProblem,
            startedAt,
            checkedAt: Date.now(),
          });
        }
        return record({
          healthy: true,
          latencyMillis,
          reason: undefined,
          summary: undefined,
          startedAt,
          checkedAt: Date.now(),
        });
      } catch (error) {
        // A check cut short by stop() says nothing about the database.
        if (stopped) return latest;
        databaseAnswered = false;
        return record({
          healthy: false,
          latencyMillis: undefined,
          reason: describeError(error),
          summary: readinessReason(error),
          startedAt,
          checkedAt: Date.now(),
        });
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
    get latest() {
      return latest;
    },
    start() {
      if (started || stopped) return;
      started = true;
      tick();
    },
    checkNow: check,
    withClient(operation, bound) {
      return serial(() =>
        bounded(
          async (attempt) => operation((await acquire(attempt)).connection),
          bound,
          'the diagnostics query',
        ),
      );
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      // Every queued operation is bounded, so this settles.
      await queue;
      if (connecting !== undefined) abandon(connecting.candidate);
      if (client === undefined) return;
      const last = client;
      client = undefined;
      await closeClient(last, timeoutMillis);
    },
  };
}

/**
 * Why the pool cannot serve right now: no open connection while its connects
 * fail (`connectFailing`: the latest attempt failed and none succeeded since).
 * `undefined` when it can; an error from an outage that is over never counts.
 */
function poolCannotServe(
  snapshot: PoolSnapshot | undefined,
): Pick<ReadinessResult, 'reason' | 'summary'> | undefined {
  if (snapshot === undefined || snapshot.ending || !snapshot.connectFailing) return undefined;
  if (snapshot.idle + snapshot.inUse > 0 || snapshot.lastConnectError === undefined) return undefined;
  return {
    reason: `the pool has no open connection and its connects fail: ${snapshot.lastConnectError}`,
    summary: readinessReasonOfMessage(snapshot.lastConnectError),
  };
}
