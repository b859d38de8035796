import { describe, expect, it } from 'vitest';
import {
  readinessReason,
  readinessReasonOfMessage,
  ReadinessTimeoutError,
} from '../../src/health/readiness-reason.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('readiness reasons for anonymous callers', () => {
  it.each([
    [
      'refused connects',
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      'connection refused',
    ],
    [
      'a wrong password',
      withCode('password authentication failed for user "alice"', '28P01'),
      'authentication failed',
    ],
    [
      'a pg_hba.conf rejection',
      withCode('no pg_hba.conf entry for host "10.0.0.1", user "alice"', '28000'),
      'authentication failed',
    ],
    [
      'the check bound',
      new ReadinessTimeoutError('the readiness check did not finish within 1500 ms'),
      'timed out',
    ],
    ["pg's connect timeout", new Error('timeout expired'), 'timed out'],
    ['no slots left', withCode('sorry, too many clients already', '53300'), 'too many connections'],
    [
      'an untrusted certificate',
      withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      'TLS verification failed',
    ],
    [
      'a certificate for another host',
      withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
      'TLS verification failed',
    ],
    ['a server starting up', withCode('the database system is starting up', '57P03'), 'database starting up'],
    ['a terminated connection', new Error('Connection terminated unexpectedly'), 'database unreachable'],
    [
      'IPv4 and IPv6 both refused',
      new AggregateError([withCode('a', 'ECONNREFUSED'), withCode('b', 'ECONNREFUSED')]),
      'connection refused',
    ],
    [
      'addresses failing differently',
      new AggregateError([withCode('a', 'ECONNREFUSED'), withCode('b', 'EHOSTUNREACH')]),
      'database unreachable',
    ],
    ['something that is not an Error', 'boom', 'database unreachable'],
  ])('names %s without the driver message', (_, error, reason) => {
    expect(readinessReason(error)).toBe(reason);
  });

  it.each([
    [
      'connection to 127.0.0.1:5432 refused (ECONNREFUSED): is PostgreSQL running and listening on that host and port?',
      'connection refused',
    ],
    [
      'password authentication failed for user "alice" at 127.0.0.1:5432 (28P01): ' +
        'check the credentials in DATABASE_URL',
      'authentication failed',
    ],
    [
      '127.0.0.1:5432 has no connection slots left (53300: sorry, too many clients already): ' +
        'max_connections is used up',
      'too many connections',
    ],
    [
      'connection to 127.0.0.1:5432 timed out after 5000 ms (POOL_CONNECT_TIMEOUT_MS): the server accepted nothing',
      'timed out',
    ],
    [
      'TLS certificate of db:5432 is not trusted (SELF_SIGNED_CERT_IN_CHAIN: ' +
        'self-signed certificate in certificate chain)',
      'TLS verification failed',
    ],
    ['cannot connect to 127.0.0.1:5432: something else', 'database unreachable'],
  ])('reads the pool\'s connect error "%s"', (message, reason) => {
    expect(readinessReasonOfMessage(message)).toBe(reason);
  });
});
