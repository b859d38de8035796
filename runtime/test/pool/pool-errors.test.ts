/** Connect error messages (host and port named, the password never) and which query errors evict a connection. */
import { describe, expect, it } from 'vitest';
import { isConnectionFatal, toConnectError, type ConnectContext } from '../../src/pool/pool-errors.js';

const context: ConnectContext = {
  target: { host: 'db.internal', port: 5432, user: 'app', database: 'clientats' },
  ssl: 'verify-full',
  connectTimeoutMillis: 5000,
  timedOut: false,
};
const failure = (message: string, code?: string): Error =>
  Object.assign(new Error(message), code === undefined ? {} : { code });

describe('toConnectError', () => {
  it.each([
    [
      failure('getaddrinfo ENOTFOUND db.internal', 'ENOTFOUND'),
      'cannot resolve the database host db.internal:5432 (ENOTFOUND): check the host in DATABASE_URL',
    ],
    [
      failure('connect EHOSTUNREACH 10.0.0.5:5432', 'EHOSTUNREACH'),
      'database host db.internal:5432 is unreachable (EHOSTUNREACH): check the host, the network and firewalls',
    ],
    [
      failure('database "clientats" does not exist', '3D000'),
      'database "clientats" does not exist at db.internal:5432 (3D000): check the database name in DATABASE_URL',
    ],
    [
      failure('the database system is starting up', '57P03'),
      'db.internal:5432 is not accepting connections yet (57P03: the database system is starting up)',
    ],
    [
      failure(
        'no pg_hba.conf entry for host "10.0.0.9", user "app", database "clientats", no encryption',
        '28000',
      ),
      'db.internal:5432 rejected the connection (28000: no pg_hba.conf entry for host "10.0.0.9", ' +
        'user "app", database "clientats", no encryption): check pg_hba.conf, ' +
        'and DATABASE_SSL if the server requires TLS',
    ],
    [
      failure('remaining connection slots are reserved for roles with the SUPERUSER attribute', '53300'),
      'db.internal:5432 has no connection slots left (53300: ' +
        'remaining connection slots are reserved for roles with the SUPERUSER attribute): ' +
        'max_connections is used up; check the connection budget with `npx clientats-deploy check`',
    ],
    [failure('something odd'), 'cannot connect to db.internal:5432: something odd'],
  ])('explains %s', (error, message) => {
    const wrapped = toConnectError(error, context);
    expect(wrapped.message).toBe(message);
    expect(wrapped.cause).toBe(error);
    expect([wrapped.host, wrapped.port]).toEqual(['db.internal', 5432]);
  });

  it('reports the pool connect timeout rather than the error the aborted socket gave', () => {
    const wrapped = toConnectError(failure('Connection terminated unexpectedly'), {
      ...context,
      timedOut: true,
    });
    expect(wrapped.message).toBe(
      'connection to db.internal:5432 timed out after 5000 ms (POOL_CONNECT_TIMEOUT_MS): ' +
        'the server accepted nothing or did not answer the handshake',
    );
    expect(wrapped.code).toBe('CONNECT_TIMEOUT');
  });
});

describe('isConnectionFatal', () => {
  it.each([
    [Object.assign(new Error('syntax error'), { severity: 'ERROR', code: '42601' }), false],
    [Object.assign(new Error('duplicate key'), { severity: 'ERROR', code: '23505' }), false],
    [
      Object.assign(new Error('terminating connection due to administrator command'), {
        severity: 'FATAL',
        code: '57P01',
      }),
      true,
    ],
    [Object.assign(new Error('connection failure'), { severity: 'ERROR', code: '08006' }), true],
    [new Error('Connection terminated unexpectedly'), true],
    [new Error('Query read timeout'), true],
  ])('%s → %s', (error, fatal) => {
    expect(isConnectionFatal(error)).toBe(fatal);
  });
});
