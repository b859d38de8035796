import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeTarget, parseDatabaseUrl, redactDatabaseUrl } from '../../src/contract/database-url.js';
import { loadSettings } from '../../src/contract/load-settings.js';
import { createPool } from '../../src/pool/create-pool.js';
import { startTestDatabase } from '../support/test-database.js';

describe('parseDatabaseUrl', () => {
  it('reads a TCP URL with every field, keeping other query parameters', () => {
    expect(
      parseDatabaseUrl(
        'postgresql://app:s%40cret@db.internal:6432/clientats?sslmode=require&application_name=web',
      ),
    ).toEqual({
      host: 'db.internal',
      port: 6432,
      user: 'app',
      password: 's@cret',
      database: 'clientats',
      parameters: { sslmode: 'require', application_name: 'web' },
    });
  });

  it('reads ecto:// as a synonym of postgres://, with the default port', () => {
    expect(parseDatabaseUrl('ecto://postgres:postgres@db/clientats_prod')).toMatchObject({
      host: 'db',
      port: 5432,
      user: 'postgres',
      database: 'clientats_prod',
    });
  });

  it('reads a Unix-socket URL with the socket directory in ?host=', () => {
    expect(parseDatabaseUrl('postgres://app:pw@/clientats?host=/var/run/postgresql')).toEqual({
      host: '/var/run/postgresql',
      port: 5432,
      user: 'app',
      password: 'pw',
      database: 'clientats',
      parameters: {},
    });
  });

  it('reads the Cloud SQL proxy URL with no authority at all', () => {
    expect(
      parseDatabaseUrl('postgresql:///clientats?host=/cloudsql/project:region:instance&user=app'),
    ).toEqual({
      host: '/cloudsql/project:region:instance',
      port: 5432,
      user: 'app',
      password: undefined,
      database: 'clientats',
      parameters: {},
    });
  });

  it('reads a socket directory written percent-encoded as the host, and an IPv6 address', () => {
    expect(parseDatabaseUrl('postgres://app:pw@%2Fvar%2Frun%2Fpostgresql/clientats').host).toBe(
      '/var/run/postgresql',
    );
    expect(parseDatabaseUrl('postgres://app:pw@[::1]:6432/clientats')).toMatchObject({
      host: '::1',
      port: 6432,
    });
  });

  it('leaves TLS parameters to DATABASE_SSL: certificate files are not read, no library warning is printed', () => {
    expect(
      parseDatabaseUrl('postgres://app:pw@db/app?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem')
        .parameters,
    ).toEqual({
      sslmode: 'verify-ca',
      sslrootcert: '/nonexistent/ca.pem',
    });
  });

  it.each([
    ['user name', 'postgres://a%zzpp:pw@db/app', 'postgres://a%zzpp:***@db/app'],
    ['password', 'postgres://app:p%zzw@db/app', 'postgres://app:***@db/app'],
    ['host', 'postgres://app:pw@d%zzb/app', 'postgres://app:***@d%zzb/app'],
    ['database name', 'postgres://app:pw@db/a%zzpp', 'postgres://app:***@db/a%zzpp'],
    [
      'query parameters',
      'postgres://app:pw@db/app?application_name=%zz',
      'postgres://app:***@db/app?application_name=%zz',
    ],
  ])('fails when the %s has a malformed percent-escape, naming that part', (part, url, shown) => {
    expect(() => parseDatabaseUrl(url)).toThrow(
      `has a malformed percent-escape in the ${part} ("%" must be followed by two hex digits), got "${shown}"`,
    );
  });

  it('fails when the password holds a raw "#", saying to percent-encode it', () => {
    expect(() => parseDatabaseUrl('postgres://app:pa#ss@db:5432/app')).toThrow(
      'is not a URL: the user name or password holds a raw "/", "?" or "#" (percent-encode it, e.g. ' +
        '"#" as %23), got "postgres://app:***@db:5432/app"',
    );
  });

  it('fails when there is no host and no socket directory', () => {
    expect(() => parseDatabaseUrl('postgres://app:pw@/clientats')).toThrow(
      'has no host (put one after "@", or a socket directory as ?host=/var/run/postgresql), ' +
        'got "postgres://app:***@/clientats"',
    );
  });

  it.each([
    'postgres://app:pw@db:99999/app',
    'postgres://app:pw@db:0/app',
    'postgres://app:pw@db/app?port=abc',
  ])('fails when the port is bad: %s', (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow(
      /^has a port that is not an integer from 1 to 65535, got "postgres:\/\/app:\*\*\*@db/,
    );
  });

  it("fails when the scheme is another database's", () => {
    expect(() => parseDatabaseUrl('mysql://app:hunter2@db/app')).toThrow(
      'must start with postgres://, postgresql:// or ecto://, got "mysql://app:***@db/app"',
    );
  });
});

describe('redactDatabaseUrl', () => {
  it('replaces the password, keeping host, port, path and query', () => {
    expect(redactDatabaseUrl('postgres://app:hunter2@db:5432/app?sslmode=require')).toBe(
      'postgres://app:***@db:5432/app?sslmode=require',
    );
  });

  it('hides every part of a password holding "@" in a URL with no host', () => {
    const shown = redactDatabaseUrl('postgres://app:s3cr@t:P/w%#x!');
    expect(shown).toBe('postgres://app:***@…');
    for (const piece of ['s3cr', 't:P', 'w%', '#x!']) expect(shown).not.toContain(piece);
    expect(() => parseDatabaseUrl('postgres://app:s3cr@t:P/w%#x!')).toThrow(
      /got "postgres:\/\/app:\*\*\*@…"$/,
    );
  });

  it('keeps a socket URL readable when the password holds "@"', () => {
    expect(redactDatabaseUrl('postgres://app:p@ss@/db?host=/var/run/postgresql')).toBe(
      'postgres://app:***@/db?host=/var/run/postgresql',
    );
  });

  it('hides a password written without "@", and a password query parameter', () => {
    expect(redactDatabaseUrl('postgres://app:secret/db')).toBe('postgres://app:***/db');
    expect(redactDatabaseUrl('postgres://db/app?user=app&password=secret')).toBe(
      'postgres://db/app?user=app&password=***',
    );
    expect(redactDatabaseUrl('postgres://db:5432/app')).toBe('postgres://db:5432/app');
  });
});

describe('describeTarget', () => {
  it('names a TCP target as host:port, IPv6 in brackets, and a socket directory as the socket path', () => {
    expect(describeTarget({ host: 'db', port: 5432 })).toBe('db:5432');
    expect(describeTarget({ host: '::1', port: 5432 })).toBe('[::1]:5432');
    expect(describeTarget({ host: '/var/run/postgresql/', port: 5432 })).toBe(
      '/var/run/postgresql/.s.PGSQL.5432',
    );
  });
});

describe('a Unix-socket DATABASE_URL against a real server', () => {
  it('connects the pool through the socket directory named in ?host=', async () => {
    const socketDirectory = mkdtempSync(join(tmpdir(), 'clientats-socket-'));
    chmodSync(socketDirectory, 0o777);
    const database = await startTestDatabase({ settings: { unix_socket_directories: socketDirectory } });
    try {
      const url =
        `postgres://${database.user}:${database.password}@/${database.database}?host=${socketDirectory}` +
        `&port=${database.port}`;
      const pool = createPool(loadSettings({ DATABASE_URL: url, POOL_SIZE: '1' }));
      try {
        const { rows } = await pool.query<{ socket: boolean }>('SELECT inet_client_addr() IS NULL AS socket');
        expect(rows).toEqual([{ socket: true }]);
      } finally {
        await pool.end({ drainMillis: 0 });
      }
    } finally {
      await database.close();
      rmSync(socketDirectory, { recursive: true, force: true });
    }
  });
});
