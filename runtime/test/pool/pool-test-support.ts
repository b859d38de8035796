/**
 * Helpers for the pool tests: a fake `pg.Client` for the checkout logic, a
 * recording logger, settings from an environment, and backend counting on a
 * real PostgreSQL through `pg_stat_activity`.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { loadSettings, type Settings } from '../../src/contract/index.js';
import type { Logger } from '../../src/pool/pool-types.js';

type Callback = (error: Error | null, result?: unknown) => void;

/** How the fake answers; every hook is optional. */
export interface FakeBehaviour {
  /** Return a rejected promise to fail the attempt, `'hang'` to never answer (until `end()`). @default resolves */
  connect?(client: FakeClient): Promise<void> | 'hang';
  /** Return an error to fail the query, `'hold'` to leave it pending (answer with `client.answer()`). */
  query?(client: FakeClient, text: unknown): Error | 'hold' | undefined;
}

/** A stand-in for `pg.Client`: connects and answers on the next tick, records what it ran. */
export class FakeClient extends EventEmitter {
  readonly id: number;
  readonly queries: unknown[] = [];
  ended = false;
  _queryable = true;
  private held: Callback[] = [];
  private abandon: ((error: Error) => void) | undefined;

  constructor(
    readonly behaviour: FakeBehaviour,
    readonly registry: FakeClient[],
  ) {
    super();
    this.id = registry.length + 1;
    registry.push(this);
  }

  connect(): Promise<void> {
    const outcome = this.behaviour.connect?.(this);
    if (outcome === 'hang')
      return new Promise((_resolve, reject) => {
        this.abandon = reject;
      });
    return outcome ?? new Promise((resolve) => setImmediate(resolve));
  }

  query(text: unknown, values?: unknown, callback?: Callback): Promise<unknown> | undefined {
    const done = typeof values === 'function' ? (values as Callback) : callback;
    this.queries.push(text);
    const outcome = this.ended
      ? new Error('Client was closed and is not queryable')
      : this.behaviour.query?.(this, text);
    const answer = (reply: Callback): void => {
      if (outcome === 'hold') this.held.push(reply);
      else
        setImmediate(() =>
          outcome === undefined ? reply(null, { rows: [{ client: this.id }], rowCount: 1 }) : reply(outcome),
        );
    };
    if (done !== undefined) {
      answer(done);
      return undefined;
    }
    return new Promise((resolve, reject) =>
      answer((error, result) => (error === null ? resolve(result) : reject(error))),
    );
  }

  /** Answers the oldest held query. */
  answer(error: Error | null = null): void {
    this.held.shift()?.(error, { rows: [{ client: this.id }], rowCount: 1 });
  }

  end(): Promise<void> {
    this.ended = true;
    this.abandon?.(new Error('Connection terminated'));
    return Promise.resolve();
  }
}

/** A `pg.Client` class whose instances are fakes recorded in `clients`. */
export function fakeClientClass(behaviour: FakeBehaviour = {}): {
  Client: typeof pg.Client;
  clients: FakeClient[];
} {
  const clients: FakeClient[] = [];
  const Client = class extends FakeClient {
    constructor() {
      super(behaviour, clients);
    }
  };
  return { Client: Client as unknown as typeof pg.Client, clients };
}

/** One logged line. */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly object: Record<string, unknown>;
  readonly message: string;
}

/** A logger that keeps every line. */
export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const line =
    (level: LogEntry['level']) =>
    (object: object, message: string): void => {
      entries.push({ level, object: object as Record<string, unknown>, message });
    };
  return { entries, debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

/** Settings from the contract with a database URL and overrides. */
export function settingsFor(databaseUrl: string, env: Record<string, string> = {}): Settings {
  return loadSettings({ DATABASE_URL: databaseUrl, ...env });
}

/** A fresh `application_name`, so each test counts only its own backends. */
export function uniqueApplicationName(label: string): string {
  return `clientats-test-${label}-${randomBytes(4).toString('hex')}`;
}

/** An admin connection to count and terminate a pool's backends. */
export interface Admin {
  countBackends(applicationName: string): Promise<number>;
  backendPids(applicationName: string): Promise<number[]>;
  terminateBackends(applicationName: string): Promise<number>;
  close(): Promise<void>;
}

/** Connects an admin client (not pooled) to `url`. */
export async function connectAdmin(url: string): Promise<Admin> {
  const client = new pg.Client({ connectionString: url, application_name: 'clientats-test-admin' });
  client.on('error', () => undefined);
  await client.connect();
  return {
    async countBackends(applicationName) {
      const result = await client.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM pg_stat_activity WHERE application_name = $1 AND ' +
          "backend_type = 'client backend'",
        [applicationName],
      );
      return result.rows[0]?.count ?? 0;
    },
    async backendPids(applicationName) {
      const result = await client.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND backend_type = 'client backend' ORDER BY pid",
        [applicationName],
      );
      return result.rows.map((row) => row.pid);
    },
    async terminateBackends(applicationName) {
      const result = await client.query<{ count: number }>(
        'SELECT count(pg_terminate_backend(pid))::int AS count FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      return result.rows[0]?.count ?? 0;
    },
    async close() {
      await client.end();
    },
  };
}

/** Resolves after `millis`. */
export function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
