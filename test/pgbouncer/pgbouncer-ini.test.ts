import { describe, expect, it } from 'vitest';
import {
  parseConnectionString,
  parsePgbouncerIni,
  renderPgbouncerIni,
  type PgbouncerIniConfig,
} from '../../src/pgbouncer/pgbouncer-ini.js';

const CONFIG: PgbouncerIniConfig = {
  databases: { app: { host: 'db.internal', port: 5432, dbname: 'app', application_name: "it's mine" } },
  pgbouncer: {
    listen_port: 6432,
    pool_mode: 'transaction',
    unix_socket_dir: '',
    server_reset_query_always: false,
  },
  users: { reports: { pool_mode: 'session', max_user_connections: 5 } },
};

describe('renderPgbouncerIni', () => {
  it('writes [databases], [pgbouncer] and [users] with libpq quoting', () => {
    expect(renderPgbouncerIni(CONFIG, 'generated: do not edit')).toBe(
      [
        '; generated: do not edit',
        '',
        '[databases]',
        "app = host=db.internal port=5432 dbname=app application_name='it\\'s mine'",
        '',
        '[pgbouncer]',
        'listen_port = 6432',
        'pool_mode = transaction',
        'unix_socket_dir =',
        'server_reset_query_always = 0',
        '',
        '[users]',
        'reports = pool_mode=session max_user_connections=5',
        '',
      ].join('\n'),
    );
  });

  it('reads back what it writes', () => {
    expect(parsePgbouncerIni(renderPgbouncerIni(CONFIG))).toEqual({
      databases: { app: { host: 'db.internal', port: '5432', dbname: 'app', application_name: "it's mine" } },
      pgbouncer: {
        listen_port: '6432',
        pool_mode: 'transaction',
        unix_socket_dir: '',
        server_reset_query_always: '0',
      },
      users: { reports: { pool_mode: 'session', max_user_connections: '5' } },
      peers: {},
    });
  });

  it('fails when a database entry carries a password', () => {
    expect(() =>
      renderPgbouncerIni({ databases: { app: { host: 'db', password: 'hunter2' } }, pgbouncer: {} }),
    ).toThrow(
      'pgbouncer.ini [databases app] must not carry password: a generated file holds no secret, ' +
        'put credentials in the auth_file (userlist.txt) Secret',
    );
  });

  it('fails when a value holds a line break', () => {
    expect(() => renderPgbouncerIni({ databases: {}, pgbouncer: { admin_users: 'a\n[databases]' } })).toThrow(
      'pgbouncer.ini [pgbouncer] admin_users must not contain a line break, got "a\\n[databases]"',
    );
  });

  it('fails when a name is not a plain identifier', () => {
    expect(() => renderPgbouncerIni({ databases: { 'my db': { host: 'db' } }, pgbouncer: {} })).toThrow(
      'pgbouncer.ini [databases] names must be letters, digits, "_", ".", "-" or "*", got "my db"',
    );
  });
});

describe('parsePgbouncerIni', () => {
  it('reads a hand-written file: comments, case, spacing, quoted names, a wildcard entry', () => {
    const text = [
      '; the production bouncer',
      '[Databases]',
      'app=host=10.0.0.5 port=5432 dbname=app pool_size=30',
      '"odd name" = host=10.0.0.5 dbname=odd',
      '* = host=10.0.0.5',
      '',
      '[PGBOUNCER]',
      '# pools',
      'Default_Pool_Size = 25',
      'max_client_conn=400',
      '',
      '[users]',
      "ops = max_user_connections=3 pool_mode='session'",
    ].join('\r\n');
    expect(parsePgbouncerIni(text)).toEqual({
      databases: {
        app: { host: '10.0.0.5', port: '5432', dbname: 'app', pool_size: '30' },
        'odd name': { host: '10.0.0.5', dbname: 'odd' },
        '*': { host: '10.0.0.5' },
      },
      pgbouncer: { default_pool_size: '25', max_client_conn: '400' },
      users: { ops: { max_user_connections: '3', pool_mode: 'session' } },
      peers: {},
    });
  });

  it.each([
    [
      '%include',
      '[pgbouncer]\n%include /etc/pgbouncer/extra.ini',
      'bouncer.ini:2: %include is not followed by this reader, ' +
        'got "%include /etc/pgbouncer/extra.ini": pass the included file\'s settings in the same file',
    ],
    [
      'an unknown section',
      '[pgbouncer]\n[databse]',
      'bouncer.ini:2: unknown section [databse], expected one of [databases], [pgbouncer], [users], [peers]',
    ],
    [
      'a setting before any section',
      'pool_mode = transaction',
      'bouncer.ini:1: setting pool_mode comes before any [section]',
    ],
    [
      'a line that is not key = value',
      '[pgbouncer]\npool_mode transaction',
      'bouncer.ini:2: expected "key = value", got "pool_mode transaction"',
    ],
    [
      'a quoted value is not closed',
      "[databases]\napp = host='db",
      'bouncer.ini:2: unterminated quoted value for host in "host=\'db"',
    ],
    [
      'a database entry is not key=value',
      '[databases]\napp = host',
      'bouncer.ini:2: expected key=value at "host"',
    ],
  ])('fails when the file has %s', (_name, text, message) => {
    expect(() => parsePgbouncerIni(text, 'bouncer.ini')).toThrow(message);
  });
});

describe('parseConnectionString', () => {
  it('reads quoted values with escapes and spaces around =', () => {
    expect(parseConnectionString("host = db  options='-c search_path=a\\\\b' user=app")).toEqual({
      host: 'db',
      options: '-c search_path=a\\b',
      user: 'app',
    });
  });
});
