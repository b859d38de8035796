/**
 * The errors the pool hands to callers: `PoolTimeoutError` (the wait for a
 * connection passed POOL_TIMEOUT), `PoolEndedError` (the pool is shutting
 * down) and `ConnectError` (one connection attempt failed, with a message that
 * names host and port, never the password, and says what to check).
 */
import { describeTarget, type DatabaseTarget } from '../contract/index.js';

/** Live counts quoted by a `PoolTimeoutError`. */
export interface PoolTimeoutCounts {
  readonly inUse: number;
  readonly idle: number;
  readonly connecting: number;
  /** Waiters at the moment of the timeout, this one included. */
  readonly waiting: number;
}

/** The pool shape quoted by a `PoolTimeoutError`. */
export interface PoolTimeoutShape {
  readonly poolTimeoutMillis: number;
  readonly poolSize: number;
  readonly poolCount: number;
  readonly maxOverflow: number;
}

/**
 * A caller waited POOL_TIMEOUT ms for a connection and got none. This bounds
 * the wait for a connection, never the query. `cause` is the last connect error
 * when connections are failing right now.
 */
export class PoolTimeoutError extends Error {
  override readonly name = 'PoolTimeoutError';
  readonly code = 'POOL_TIMEOUT';
  constructor(
    readonly shape: PoolTimeoutShape,
    readonly counts: PoolTimeoutCounts,
    lastConnectError: ConnectError | undefined,
  ) {
    const limit = shape.poolCount * (shape.poolSize + shape.maxOverflow);
    // Starts like pg.Pool's message, so code matching /timeout/ keeps working.
    let message =
      `timeout exceeded when trying to connect: waited ${shape.poolTimeoutMillis} ms ` +
      `(POOL_TIMEOUT=${shape.poolTimeoutMillis}) for a database connection: ${counts.inUse} in use, ` +
      `${counts.idle} idle, ${counts.connecting} connecting, ${counts.waiting} waiting; ` +
      `POOL_SIZE=${shape.poolSize}, POOL_COUNT=${shape.poolCount}, ` +
      `MAX_OVERFLOW=${shape.maxOverflow} allow at most ${limit}`;
    if (lastConnectError !== undefined) message += `; last connect error: ${lastConnectError.message}`;
    super(message, lastConnectError === undefined ? undefined : { cause: lastConnectError });
  }
}

/** The pool was ended (`pool.end()`): checkouts are refused and queued waiters failed. */
export class PoolEndedError extends Error {
  override readonly name = 'PoolEndedError';
  readonly code = 'POOL_ENDED';
  constructor(message = 'the pool has been ended (pool.end() was called): it hands out no more connections') {
    super(message);
  }
}

/**
 * One connection attempt failed. `code` is the driver's or server's code
 * (`ECONNREFUSED`, `28P01`, `53300`, …) or `CONNECT_TIMEOUT`; `cause` is the
 * original error.
 */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    message: string,
    readonly code: string,
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/** What `toConnectError` needs to explain a failure. */
export interface ConnectContext {
  readonly target: Pick<DatabaseTarget, 'host' | 'port' | 'user' | 'database'>;
  readonly ssl: string;
  readonly connectTimeoutMillis: number;
  /** True when the pool's own connect timer cut the attempt short. */
  readonly timedOut: boolean;
}

/** Node's codes for a server certificate that does not verify against the trusted CAs. */
export const TLS_UNTRUSTED: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

/** Wraps a failed connection attempt in a `ConnectError` whose message says what happened and what to check. */
export function toConnectError(error: unknown, context: ConnectContext): ConnectError {
  const { target } = context;
  const where = describeTarget(target);
  const original = error instanceof Error ? error : new Error(String(error));
  const rawCode = (original as { code?: unknown }).code;
  const code = typeof rawCode === 'string' ? rawCode : '';
  const detail = original.message;
  const make = (message: string, errorCode: string): ConnectError =>
    new ConnectError(message, errorCode, target.host, target.port, original);
  if (context.timedOut) {
    return make(
      `connection to ${where} timed out after ${context.connectTimeoutMillis} ms ` +
        '(POOL_CONNECT_TIMEOUT_MS): the server accepted nothing or did not answer the handshake',
      'CONNECT_TIMEOUT',
    );
  }
  switch (code) {
    case 'ECONNREFUSED':
      return make(
        `connection to ${where} refused (ECONNREFUSED): is PostgreSQL running and listening on that host and port?`,
        code,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make(
        `cannot resolve the database host ${where} (${code}): check the host in DATABASE_URL`,
        code,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return make(
        `database host ${where} is unreachable (${code}): check the host, the network and firewalls`,
        code,
      );
    case 'ECONNRESET':
      return make(`connection to ${where} was reset (ECONNRESET) during the handshake`, code);
    case '28P01':
      return make(
        `password authentication failed for user "${target.user ?? ''}" at ${where} (28P01): ` +
          'check the credentials in DATABASE_URL',
        code,
      );
    case '28000':
      return make(
        `${where} rejected the connection (28000: ${detail}): check pg_hba.conf, ` +
          'and DATABASE_SSL if the server requires TLS',
        code,
      );
    case '3D000':
      return make(
        `database "${target.database ?? ''}" does not exist at ${where} (3D000): ` +
          'check the database name in DATABASE_URL',
        code,
      );
    case '53300':
      return make(
        `${where} has no connection slots left (53300: ${detail}): max_connections is used up; ` +
          'check the connection budget with `npx clientats-deploy check`',
        code,
      );
    case '57P03':
      return make(`${where} is not accepting connections yet (57P03: ${detail})`, code);
  }
  if (TLS_UNTRUSTED.has(code)) {
    return make(
      `TLS certificate of ${where} is not trusted (${code}: ${detail}): ` +
        'set DATABASE_SSL_CA to the CA that signed it, ' +
        'or DATABASE_SSL=require to encrypt without verifying',
      code,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return make(
      `TLS certificate of ${where} does not name that host (${code}): connect by a name the certificate lists, ` +
        'or set DATABASE_SSL=verify-ca to verify the CA only',
      code,
    );
  }
  if (detail === 'The server does not support SSL connections') {
    return make(
      `${where} does not accept TLS connections but DATABASE_SSL=${context.ssl}: ` +
        'enable ssl on the server or set DATABASE_SSL=false',
      'SSL_NOT_SUPPORTED',
    );
  }
  return make(
    `cannot connect to ${where}${code === '' ? '' : ` (${code})`}: ${detail}`,
    code === '' ? 'CONNECT_FAILED' : code,
  );
}

const FATAL_CODES = new Set(['57P01', '57P02', '57P03']);

/**
 * True when a query error means the connection itself is unusable: anything
 * that is not an ordinary server error (terminated socket, read timeout, TLS),
 * a FATAL/PANIC server error, SQLSTATE class 08 or 57P01–57P03.
 */
export function isConnectionFatal(error: Error): boolean {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  if (typeof severity !== 'string') return true;
  if (severity === 'FATAL' || severity === 'PANIC') return true;
  return typeof code === 'string' && (code.startsWith('08') || FATAL_CODES.has(code));
}
