/**
 * A private PgBouncer for tests: Debian's `pgbouncer` binary (`.ci/run`
 * installs it) started in the foreground on a free loopback port in front of a
 * test PostgreSQL, with a generated `pgbouncer.ini` and `userlist.txt` in a
 * temporary folder. Tests that need it use `describe.skipIf(!hasPgbouncer)`
 * with the reason in the name, so a machine without the binary reports them
 * as skipped, never as passed. `PGBOUNCER_BINARY` names another binary.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, chownSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './test-database.js';

/** Path of the PgBouncer binary the tests use. */
export const PGBOUNCER_BINARY = process.env.PGBOUNCER_BINARY ?? '/usr/sbin/pgbouncer';

/** True when the binary exists and is executable. */
export const hasPgbouncer = isExecutable(PGBOUNCER_BINARY);

/** The reason to put in a skipped suite's name. */
export const PGBOUNCER_SKIP_REASON = hasPgbouncer
  ? ''
  : ` (skipped: no PgBouncer at ${PGBOUNCER_BINARY}; apt-get install pgbouncer)`;

/** Settings of the test bouncer; names and units as in `pgbouncer.ini`. */
export interface TestPgbouncerOptions {
  /** The server behind the bouncer (a role with a password). */
  readonly serverUrl: string;
  /** @default 'transaction' */
  readonly poolMode?: 'session' | 'transaction' | 'statement';
  /** @default 10 */
  readonly defaultPoolSize?: number;
  /** @default 0 */
  readonly reservePoolSize?: number;
  /** Seconds a client waits before the reserve pool opens. @default 5 */
  readonly reservePoolTimeoutSeconds?: number;
  /** @default 0 (no cap) */
  readonly maxDbConnections?: number;
  /** @default 300 */
  readonly maxClientConn?: number;
  /** Seconds a client may wait for a server connection. @default 120 */
  readonly queryWaitTimeoutSeconds?: number;
  /** Startup parameters the bouncer ignores instead of refusing the login. @default 'extra_float_digits' */
  readonly ignoreStartupParameters?: string;
  /** What userlist.txt holds for the user (e.g. the SCRAM secret from pg_authid). @default the URL's password */
  readonly userlistSecret?: string;
  /** Writes the whole ini instead (e.g. the generator's renderer); the other options are then unused. */
  readonly renderIni?: (places: IniPlaces) => string;
}

/** A running test bouncer. */
export interface TestPgbouncer {
  /** `postgres://user:password@127.0.0.1:port/database` through the bouncer. */
  readonly url: string;
  readonly port: number;
  /** Admin console: `SHOW POOLS` and friends, database `pgbouncer`. */
  readonly adminUrl: string;
  /** Immediate shutdown (SIGTERM): every client and server connection is cut. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same configuration. */
  start(): Promise<void>;
  /** Stops it and deletes its folder. Safe to call twice. */
  close(): Promise<void>;
  /** The last lines it logged, for failure messages. */
  log(): string;
  /** Process id while it runs (benchmarks read its CPU time from /proc). */
  pid(): number | undefined;
}

/** Starts a bouncer in front of `options.serverUrl`; resolves once it accepts connections. */
export async function startPgbouncer(options: TestPgbouncerOptions): Promise<TestPgbouncer> {
  const server = new URL(options.serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const database = server.pathname.slice(1) || 'postgres';
  let port = await freePort();
  const folder = mkdtempSync(join(tmpdir(), `clientats-pgbouncer-${randomBytes(4).toString('hex')}-`));
  const ini = join(folder, 'pgbouncer.ini');
  writeFileSync(
    join(folder, 'userlist.txt'),
    `${quote(user)} ${quote(options.userlistSecret ?? password)}\n`,
    { mode: 0o600 },
  );
  const writeIni = (): void => {
    const places: IniPlaces = {
      listenPort: port,
      authFile: join(folder, 'userlist.txt'),
      database,
      user,
      host: server.hostname,
      serverPort: Number(server.port || 5432),
    };
    writeFileSync(ini, (options.renderIni ?? ((where: IniPlaces) => renderTestIni(options, where)))(places));
  };
  writeIni();
  // PgBouncer refuses to run as root: as root it is started with `-u` as the server's own user, who must own
  // the folder.
  const runAs = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
  if (runAs !== undefined) {
    for (const path of [folder, ini, join(folder, 'userlist.txt')]) chownSync(path, runAs.uid, runAs.gid);
    chmodSync(folder, 0o700);
  }
  const lines: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const args = runAs === undefined ? [ini] : ['-u', runAs.name, ini];
    const spawned = spawn(PGBOUNCER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = spawned;
    const collect = (chunk: Buffer): void => {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== ''),
      );
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    };
    spawned.stdout?.on('data', collect);
    spawned.stderr?.on('data', collect);
    exited = new Promise((resolve) => spawned.once('exit', () => resolve()));
    await waitForPort(port, spawned, () => lines.slice(-5).join(' | '));
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    running.kill('SIGTERM');
    const killer = setTimeout(() => running.kill('SIGKILL'), 5000);
    killer.unref();
    await exited;
    clearTimeout(killer);
  };

  // A free port can be taken by another process between freePort() and the bind: retry on a fresh one.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 3 || !/exited/.test((error as Error).message)) throw error;
      port = await freePort();
      writeIni();
      if (runAs !== undefined) chownSync(ini, runAs.uid, runAs.gid);
    }
  }
  let closed = false;
  const credentials = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return {
    url: `postgres://${credentials}@127.0.0.1:${port}/${database}`,
    adminUrl: `postgres://${credentials}@127.0.0.1:${port}/pgbouncer`,
    port,
    stop,
    start,
    async close() {
      if (closed) return;
      closed = true;
      await stop();
      rmSync(folder, { recursive: true, force: true });
    },
    log: () => lines.join('\n'),
    pid: () => child?.pid,
  };
}

/** Where the test bouncer listens, reads its userlist, and finds its server. */
export interface IniPlaces {
  readonly listenPort: number;
  readonly authFile: string;
  readonly database: string;
  readonly user: string;
  readonly host: string;
  readonly serverPort: number;
}

function renderTestIni(options: TestPgbouncerOptions, places: IniPlaces): string {
  return [
    '[databases]',
    `${places.database} = host=${places.host} port=${places.serverPort} dbname=${places.database}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${places.listenPort}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${places.authFile}`,
    `admin_users = ${places.user}`,
    `pool_mode = ${options.poolMode ?? 'transaction'}`,
    `default_pool_size = ${options.defaultPoolSize ?? 10}`,
    `reserve_pool_size = ${options.reservePoolSize ?? 0}`,
    `reserve_pool_timeout = ${options.reservePoolTimeoutSeconds ?? 5}`,
    `max_db_connections = ${options.maxDbConnections ?? 0}`,
    `max_client_conn = ${options.maxClientConn ?? 300}`,
    `query_wait_timeout = ${options.queryWaitTimeoutSeconds ?? 120}`,
    `ignore_startup_parameters = ${options.ignoreStartupParameters ?? 'extra_float_digits'}`,
    'server_login_retry = 1',
    '',
  ].join('\n');
}

/** `"name"` as userlist.txt quotes it (a double quote is doubled). */
function quote(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** Polls a TCP connect until it succeeds; fails fast when the process exits. */
async function waitForPort(port: number, child: ChildProcess, recentLog: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `pgbouncer exited (${child.exitCode ?? child.signalCode}) before listening on port ${port}: ${recentLog()}`,
      );
    }
    if (await canConnect(port)) return;
    await sleep(50);
  }
  throw new Error(`pgbouncer did not listen on port ${port} within 10 s: ${recentLog()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function unprivilegedUser(): { name: string; uid: number; gid: number } {
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
      return { name, uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'pgbouncer refuses to run as root and neither a "postgres" nor a "nobody" user exists: create one',
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A login role with a password and its own database on the shared server, dropped by `close()`. */
export interface BouncerRole {
  /** `postgres://role:password@host:port/database`, direct to the server. */
  readonly url: string;
  readonly name: string;
  close(): Promise<void>;
}

/**
 * Creates a role (SCRAM password) owning a fresh database, so a test can count
 * the bouncer's server connections in `pg_stat_activity` by `usename`.
 */
export async function createBouncerRole(adminUrl: string, name: string): Promise<BouncerRole> {
  const password = `pw_${randomBytes(9).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const role = admin.escapeIdentifier(name);
    await admin.query(`DROP DATABASE IF EXISTS ${role} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
    await admin.query(`CREATE DATABASE ${role} OWNER ${role}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.username = name;
  url.password = password;
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async close() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
        await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Client backends of one role on the server (what the bouncer holds open). */
export async function serverBackendsOf(adminUrl: string, role: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'pgbouncer-test-admin' });
  await client.connect();
  try {
    const result = await client.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename = $1",
      [role],
    );
    return result.rows[0]!.count;
  } finally {
    await client.end();
  }
}
