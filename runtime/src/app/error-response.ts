/**
 * What an unhandled application error becomes on the wire. A
 * `PoolTimeoutError` (the pool had no connection within POOL_TIMEOUT) is
 * `503` with `Retry-After`: the service is saturated, not broken, and a
 * client or a load balancer should try again. Any other error is `500` with
 * a fixed body: messages, stacks and SQL never reach the client.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';

/** Why a request failed, as a metric label. */
export type FailureReason = 'pool_timeout' | 'pool_ended' | 'client_error' | 'error';

/** The answer for one unhandled error. */
export interface ErrorAnswer {
  readonly status: number;
  readonly reason: FailureReason;
  readonly body: { readonly status: string; readonly error: string };
}

/** How deep `cause` chains are followed: an app that wraps the pool's error still gets its 503. */
const MAX_CAUSE_DEPTH = 5;

function hasCode(error: unknown, code: string): boolean {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error; depth += 1) {
    // By code, not instanceof: the app may import another copy of clientats-runtime (sources vs build).
    if ((current as { code?: unknown }).code === code) return true;
    current = current.cause;
  }
  return false;
}

/** A 4xx an HTTP framework attached (http-errors' `status`/`statusCode`, e.g. a body parser's 400). */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500
    ? value
    : undefined;
}

/** Maps an error to its answer. */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (hasCode(error, 'POOL_TIMEOUT')) {
    return {
      status: 503,
      reason: 'pool_timeout',
      body: { status: 'unavailable', error: 'no database connection available, retry later' },
    };
  }
  if (hasCode(error, 'POOL_ENDED')) {
    return {
      status: 503,
      reason: 'pool_ended',
      body: { status: 'unavailable', error: 'shutting down, retry later' },
    };
  }
  const clientStatus = clientErrorStatus(error);
  if (clientStatus !== undefined) {
    return {
      status: clientStatus,
      reason: 'client_error',
      body: { status: 'error', error: STATUS_CODES[clientStatus] ?? 'client error' },
    };
  }
  return { status: 500, reason: 'error', body: { status: 'error', error: 'internal error' } };
}

/** Writes the answer, or cuts the socket when the application had already started its response. */
export function writeErrorAnswer(
  response: ServerResponse,
  answer: ErrorAnswer,
  retryAfterSeconds: number,
): void {
  if (response.headersSent) {
    // The status line is gone: a truncated body must not pass for a whole one.
    response.destroy();
    return;
  }
  const body = JSON.stringify(answer.body);
  for (const name of response.getHeaderNames()) response.removeHeader(name);
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  };
  if (answer.status === 503) headers['Retry-After'] = retryAfterSeconds;
  response.writeHead(answer.status, headers);
  response.end(body);
}

/** Set by the runtime on every response it hands to the application. */
const REPORTER = Symbol.for('clientats-runtime.error-reporter');

type Reporter = (error: unknown) => void;

/** Attaches the runtime's reporter to a response (the host does this before calling the application). */
export function attachReporter(response: ServerResponse, reporter: Reporter): void {
  (response as unknown as Record<symbol, Reporter>)[REPORTER] = reporter;
}

/**
 * Hands an error the application's framework caught to the runtime, which
 * answers it (503 + Retry-After for a pool timeout, 500 otherwise), logs it
 * with the request path and counts it in `/metrics`. For frameworks that
 * catch errors themselves:
 *
 *     app.use((error, request, response, next) => respondToError(request, response, error)); // Express, last
 *     fastify.setErrorHandler((error, request, reply) => {
 *       reply.hijack();
 *       respondToError(request.raw, reply.raw, error);
 *     });
 *
 * Outside the runtime (a test of the bare app) it answers the same way without logging.
 */
export function respondToError(_request: IncomingMessage, response: ServerResponse, error: unknown): void {
  const reporter = (response as unknown as Record<symbol, Reporter | undefined>)[REPORTER];
  if (reporter !== undefined) reporter(error);
  else writeErrorAnswer(response, errorAnswer(error), 1);
}
