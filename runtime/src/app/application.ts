/**
 * The application contract: what `clientats-runtime ./server.js` and
 * `startRuntime({ app })` host. The module's default export is an
 * `ApplicationFactory`; the runtime calls it once with the pool, the settings
 * and the logger, and serves every request that is not one of its own paths
 * with the listener it returns.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Settings } from '../contract/load-settings.js';
import type { ClientAtsPool, Logger } from '../pool/pool-types.js';

/** What the factory receives. */
export interface ApplicationContext {
  /** The runtime's pool (POOL_SIZE × POOL_COUNT, MAX_OVERFLOW, POOL_TIMEOUT): use it as a `pg.Pool`. */
  readonly pool: ClientAtsPool;
  /** The validated settings the runtime runs with. */
  readonly settings: Settings;
  /** The runtime's JSON logger (pino). */
  readonly logger: Logger;
}

/**
 * A Node request listener: an Express app as it is, `fastify.routing` after
 * `await fastify.ready()`, or a plain `(request, response) => …` function.
 * A returned promise that rejects, or a synchronous throw, is an unhandled error.
 */
export type RequestListener = (request: IncomingMessage, response: ServerResponse) => unknown;

/** The default export of an application module. */
export type ApplicationFactory = (context: ApplicationContext) => RequestListener | Promise<RequestListener>;

/** An application module that cannot be loaded or does not follow the contract; its message is one line. */
export class ApplicationError extends Error {
  override readonly name = 'ApplicationError';
}

/** Calls the factory and checks that it gave a listener. */
export async function createApplicationListener(
  factory: ApplicationFactory,
  context: ApplicationContext,
  source = 'the application',
): Promise<RequestListener> {
  let listener: unknown;
  try {
    listener = await factory(context);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApplicationError(`${source} failed to start: ${reason}`, { cause: error });
  }
  if (typeof listener !== 'function') {
    throw new ApplicationError(
      `${source} must return a request listener (request, response) => void, ` +
        `got ${describeValue(listener)}: return an Express app, fastify.routing, or a function`,
    );
  }
  return listener as RequestListener;
}

/** `function`, `undefined`, `an object with keys a, b` … for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object')
    return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : String(value);
  const keys = Object.keys(value).slice(0, 5);
  return keys.length === 0 ? 'an object with no keys' : `an object with keys ${keys.join(', ')}`;
}
