/**
 * The pool's bookkeeping records: one `Connection` per `pg.Client` (state,
 * timestamps, and callbacks bound once so the hot path allocates nothing per
 * checkout), one `Partition` per POOL_COUNT pool; and the CancelRequest
 * sent for a connection closed while busy.
 */
import { connect } from 'node:net';
import type pg from 'pg';
import { CLOSE_TIMEOUT_MILLIS } from './close-client.js';

/** Where a connection is in its life. `busy` covers checked out and being checked. */
export type ConnectionState = 'connecting' | 'idle' | 'busy' | 'closing' | 'closed';

/** The pool operations a connection's bound callbacks call back into. */
export interface ConnectionOwner {
  /** The client emitted `error`. */
  connectionError(connection: Connection, error: Error): void;
  /** `client.release(error?)` of a client handed out by `connect()`. */
  releaseBorrowed(connection: Connection, evict: boolean, error: Error | undefined): void;
  /** A `pool.query()` finished on this connection. */
  queryDone(
    connection: Connection,
    error: Error | null,
    result: unknown,
    resolve: (value: never) => void,
    reject: (error: Error) => void,
  ): void;
}

/** `client.query(text, values, callback)`, kept from before any instrumentation. */
export type RawQuery = (
  this: pg.Client,
  text: unknown,
  values: unknown,
  callback?: (error: Error | null, result: unknown) => void,
) => unknown;

/**
 * One of the POOL_COUNT pools. Slots count connections opening, open and
 * closing, so the bound holds until sockets close. Read-only here: only `SlotLedger` writes them.
 */
export interface Partition {
  readonly index: number;
  readonly persistentSlots: number;
  readonly overflowSlots: number;
  /** Persistent connections idle or busy. */
  readonly persistentOpen: number;
  readonly idle: number;
  readonly busy: number;
}

/** A pooled `pg.Client` and its state. */
export class Connection {
  state: ConnectionState = 'connecting';
  /** The client emitted an error: never reuse it. */
  broken = false;
  /** Handed out by `connect()` and not released yet. */
  borrowed = false;
  idleSince = 0;
  expiresAt = Number.POSITIVE_INFINITY;
  checkedOutAt = 0;
  /** Where `connect()` was called, for the leak warning (only when POOL_LEAK_WARNING_MS > 0). */
  borrowStack: Error | undefined = undefined;
  leakWarned = false;
  queryStartedAt = 0;
  connectTimer: NodeJS.Timeout | undefined = undefined;
  timedOut = false;
  /** The pool's count of failed bursts when this attempt began: attempts of one burst fail together and count once. */
  failureBurst = 0;
  /** Checkouts so far, for `maxUses`. */
  uses = 0;
  private resolveQuery: ((value: never) => void) | undefined = undefined;
  private rejectQuery: ((error: Error) => void) | undefined = undefined;
  readonly rawQuery: RawQuery;

  constructor(
    private readonly owner: ConnectionOwner,
    readonly client: pg.Client,
    readonly partition: Partition,
    readonly overflow: boolean,
  ) {
    this.rawQuery = client.query as unknown as RawQuery;
    client.on('error', this.onError);
    (client as unknown as { release: unknown }).release = this.release;
  }

  /** Runs a `pool.query()` on this (checked out) connection, settling the caller's promise when done. */
  run(text: unknown, values: unknown, resolve: (value: never) => void, reject: (error: Error) => void): void {
    this.resolveQuery = resolve;
    this.rejectQuery = reject;
    this.rawQuery.call(this.client, text, values, this.onQueryDone);
  }

  /** Forgets the callbacks of a query that threw before it was sent. */
  abandonQuery(): void {
    this.resolveQuery = undefined;
    this.rejectQuery = undefined;
  }

  readonly onError = (error: Error): void => {
    this.owner.connectionError(this, error);
  };

  readonly onQueryDone = (error: Error | null, result: unknown): void => {
    const resolve = this.resolveQuery;
    const reject = this.rejectQuery;
    if (resolve === undefined || reject === undefined) return;
    this.resolveQuery = undefined;
    this.rejectQuery = undefined;
    this.owner.queryDone(this, error, result, resolve, reject);
  };

  /** `client.release(error?)`: a truthy argument closes the connection instead of reusing it (pg.Pool semantics). */
  readonly release = (error?: Error | boolean): void => {
    if (!this.borrowed) {
      // After end() forced it closed, a late release is expected and harmless.
      if (this.state === 'closing' || this.state === 'closed') return;
      throw new Error('release() called on a client that was already released to the pool');
    }
    this.owner.releaseBorrowed(this, Boolean(error), error instanceof Error ? error : undefined);
  };
}

/** CancelRequest code of the PostgreSQL protocol. */
const CANCEL_REQUEST_CODE = 80_877_102;

/**
 * Asks the server to cancel whatever the client's backend is running (a
 * CancelRequest on a new socket), so a connection closed while busy does not
 * leave its query running server-side. Best effort: errors are ignored and the
 * socket is bounded by `CLOSE_TIMEOUT_MILLIS`.
 */
export function cancelBackend(client: pg.Client, host: string, port: number): void {
  const { processID, secretKey } = client as unknown as { processID?: unknown; secretKey?: unknown };
  if (typeof processID !== 'number' || typeof secretKey !== 'number') return;
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  const sent = (): void => {
    socket.end(packet);
  };
  // A host that is a path is a Unix-socket directory (DATABASE_URL ?host=/var/run/postgresql).
  const socket = host.startsWith('/')
    ? connect(`${host.replace(/\/$/, '')}/.s.PGSQL.${port}`, sent)
    : connect(port, host, sent);
  socket.setTimeout(CLOSE_TIMEOUT_MILLIS, () => socket.destroy());
  socket.on('error', () => undefined);
  socket.unref();
}
