/**
 * `hostApplication(listener)`: wraps the team's request listener so that an
 * error it does not handle (a synchronous throw, a rejected promise, or one
 * its framework hands over with `respondToError`) gets the runtime's answer
 * (see `error-response.ts`), one log line with the request path, and a count
 * in `/metrics`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import { describeError } from '../errors/describe-error.js';
import { silentLogger } from '../logging/create-logger.js';
import type { Logger } from '../pool/pool-types.js';
import type { RequestListener } from './application.js';
import { attachReporter, errorAnswer, writeErrorAnswer } from './error-response.js';

/** Options of `hostApplication`. */
export interface HostOptions {
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Where the error counter is registered (the health server's registry). */
  readonly registry?: Registry;
  /** `Retry-After` of a 503, in seconds. @default 1 */
  readonly retryAfterSeconds?: number;
}

/** Name of the counter of unhandled application errors, by `status` and `reason`. */
const UNHANDLED_ERRORS_METRIC = 'http_application_unhandled_errors_total';

/** The path of a request without its query string (queries may carry tokens). */
function requestPath(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Wraps `listener`; the result is a plain Node request listener. */
export function hostApplication(
  listener: RequestListener,
  options: HostOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const logger = options.logger ?? silentLogger;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const registers = options.registry === undefined ? [] : [options.registry];
  const errors = new Counter({
    name: UNHANDLED_ERRORS_METRIC,
    help: 'Application requests that ended in an error the application did not handle, by answer status and reason.',
    labelNames: ['status', 'reason'],
    registers,
  });
  // Present at 0 from the start, so a rate() or an alert on them has a series before the first failure.
  for (const [status, reason] of [
    ['503', 'pool_timeout'],
    ['500', 'error'],
  ])
    errors.inc({ status, reason }, 0);

  return (request, response) => {
    // Taken before the application runs: routers (Express) rewrite request.url on the way down.
    const path = requestPath(request);
    const method = request.method;
    let reported = false;
    const report = (error: unknown): void => {
      if (reported) return;
      reported = true;
      const answer = errorAnswer(error);
      errors.inc({ status: String(answer.status), reason: answer.reason });
      const fields = { method, path, status: answer.status, err: describeError(error) };
      const outcome = response.headersSent
        ? 'connection cut (the answer had started)'
        : `answered ${answer.status}`;
      if (answer.reason === 'pool_timeout') {
        logger.warn(
          fields,
          `application request failed: no database connection within POOL_TIMEOUT, ${outcome}`,
        );
      } else if (answer.reason === 'client_error') {
        logger.debug(fields, `application request failed: client error, ${outcome}`);
      } else {
        logger.error(
          { ...fields, stack: error instanceof Error ? error.stack : undefined },
          `application request failed: unhandled error, ${outcome}`,
        );
      }
      writeErrorAnswer(response, answer, retryAfterSeconds);
    };
    attachReporter(response, report);
    let result: unknown;
    try {
      result = listener(request, response);
    } catch (error) {
      report(error);
      return;
    }
    if (isThenable(result)) result.then(undefined, report);
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
