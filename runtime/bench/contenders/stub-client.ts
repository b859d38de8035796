/**
 * A `pg.Client` stand-in with no database behind it, for measuring what a pool
 * itself costs (HikariCP's JMH bench does the same with a stub driver).
 * `connect`, `query` and `end` resolve at once, in both the promise and the
 * callback style, so pg.Pool, tarn, generic-pool and our pool can all hold it.
 */
import { EventEmitter } from 'node:events';
import type pg from 'pg';

const EMPTY_RESULT = { command: 'SELECT', rowCount: 1, oid: 0, fields: [], rows: [{ '?column?': 1 }] };

type Callback = (error: Error | null, result?: unknown) => void;

/** The stub client; construct it with any pg client config. */
export class StubClient extends EventEmitter {
  /** pg.Pool reads these to decide whether a released client is reusable. */
  _queryable = true;
  _ending = false;
  readonly processID = 0;

  constructor(readonly config?: unknown) {
    super();
  }

  connect(callback?: Callback): Promise<void> | undefined {
    if (callback !== undefined) {
      queueMicrotask(() => callback(null));
      return undefined;
    }
    return Promise.resolve();
  }

  query(_text: unknown, values?: unknown, callback?: Callback): Promise<unknown> | undefined {
    const done = typeof values === 'function' ? (values as Callback) : callback;
    if (done !== undefined) {
      queueMicrotask(() => done(null, EMPTY_RESULT));
      return undefined;
    }
    return Promise.resolve(EMPTY_RESULT);
  }

  end(callback?: Callback): Promise<void> | undefined {
    this._ending = true;
    this._queryable = false;
    queueMicrotask(() => this.emit('end'));
    if (callback !== undefined) {
      queueMicrotask(() => callback(null));
      return undefined;
    }
    return Promise.resolve();
  }

  escapeIdentifier(text: string): string {
    return `"${text.replace(/"/g, '""')}"`;
  }

  escapeLiteral(text: string): string {
    return `'${text.replace(/'/g, "''")}'`;
  }
}

/** The stub typed as the client class the pools accept. */
export const StubClientClass = StubClient as unknown as typeof pg.Client;
