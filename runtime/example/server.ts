/**
 * The example service: a ClientATS-like clients API hosted by the runtime.
 *
 *   npx tsx runtime/src/main.ts runtime/example/server.ts    # development (TypeScript via tsx, embedded PostgreSQL)
 *   node runtime/build/main.js runtime/example/build/server.js   # the container and the Procfile
 *
 * The runtime calls the default export once with its pool, settings and
 * logger; the pool is a drop-in `pg.Pool`, so Kysely, Drizzle or plain `pg`
 * code use it unchanged. The runtime answers /health, /health/ready,
 * /health/diagnostics and /metrics itself, and hands everything else here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createClientsHandler, type Queryable } from './clients-handler.js';
import { migrate, type MigrationPool } from './migrations.js';

/**
 * What the runtime passes in: structurally the `ApplicationContext` of
 * `clientats-runtime` (kept local so this folder compiles on its own).
 */
export interface ExampleContext {
  readonly pool: Queryable & MigrationPool;
  readonly logger: { info(object: object, message: string): void };
}

/** Applies the migration, then serves the clients API. */
export default async function clientsApi({
  pool,
  logger,
}: ExampleContext): Promise<(request: IncomingMessage, response: ServerResponse) => Promise<void>> {
  const applied = await migrate(pool);
  logger.info(
    { applied },
    applied.length === 0 ? 'clients API: schema up to date' : 'clients API: migrations applied',
  );
  return createClientsHandler(pool);
}
