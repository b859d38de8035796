import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/contract/load-settings.js';
import { createLogger, settingsForLog } from '../../src/logging/create-logger.js';
import { createPoolLogObserver } from '../../src/logging/pool-log-observer.js';
import { recordingLogger } from '../support/health-fixture.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with level, time, name and message', () => {
    const { stream, lines } = capture();
    createLogger({ destination: stream }).info({ pool: 0 }, 'pool connection opened');
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 30,
        name: 'clientats-runtime',
        pool: 0,
        msg: 'pool connection opened',
        time: expect.any(Number),
      }),
    ]);
  });

  it('keeps passwords and tokens out of every line', () => {
    const { stream, lines } = capture();
    const settings = loadSettings({
      DATABASE_URL: 'postgres://app:s3cr3t-pw@db.internal:5432/clientats',
      HEALTH_CHECK_TOKEN: 'tok-123456',
    });
    const logger = createLogger({ destination: stream });
    logger.info({ settings: settingsForLog(settings) }, 'connection pool starting');
    logger.info(
      {
        password: 's3cr3t-pw',
        config: { password: 's3cr3t-pw', connectionString: 'postgres://app:s3cr3t-pw@db/x' },
        token: 'tok-123456',
      },
      'raw fields',
    );
    const text = JSON.stringify(lines());
    expect(text).not.toContain('s3cr3t-pw');
    expect(text).not.toContain('tok-123456');
    expect(lines()[0]?.settings).toMatchObject({
      databaseUrl: 'postgres://app:***@db.internal:5432/clientats',
      healthCheckTokenSet: true,
      poolSize: 10,
    });
    expect(lines()[1]).toMatchObject({
      password: '***',
      config: { password: '***', connectionString: '***' },
      token: '***',
    });
  });

  it('drops lines below the level', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ destination: stream, level: 'warn' });
    logger.info({}, 'connection pool starting');
    logger.warn({}, 'database connection lost: readiness answers 503');
    expect(lines().map((line) => line.msg)).toEqual(['database connection lost: readiness answers 503']);
  });
});

describe('createPoolLogObserver', () => {
  it('logs opened, closed and evicted connections in lines that mention pool or connection', () => {
    const logger = recordingLogger();
    const observer = createPoolLogObserver(logger, { poolTimeoutMillis: 5000 });
    observer.onConnectionOpened?.(0, false);
    observer.onConnectionOpened?.(1, true);
    observer.onConnectionClosed?.(1, true, 'overflow-idle');
    observer.onConnectionClosed?.(0, false, 'broken');
    observer.onConnectionClosed?.(0, false, 'shutdown');
    expect(logger.lines.map(({ level, message }) => [level, message])).toEqual([
      ['info', 'pool connection opened'],
      ['info', 'overflow connection opened: the pool is exhausted (MAX_OVERFLOW)'],
      ['info', 'pool connection closed (overflow-idle)'],
      ['warn', 'pool connection evicted (broken)'],
      ['debug', 'pool connection closed for shutdown'],
    ]);
    expect(logger.messages().every((message) => /pool|connection/i.test(message))).toBe(true);
  });

  it('logs checkout timeouts at most once per period, counting the ones in between', () => {
    const logger = recordingLogger();
    let now = 0;
    const observer = createPoolLogObserver(logger, {
      poolTimeoutMillis: 250,
      timeoutLogPeriodMillis: 1000,
      now: () => now,
    });
    for (let timeout = 0; timeout < 5; timeout += 1) observer.onTimeout?.();
    now = 1000;
    observer.onTimeout?.();
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: 'connection pool checkout timed out after POOL_TIMEOUT=250 ms: every connection was in use',
        fields: { poolTimeoutMillis: 250, alsoSinceLastLine: 0 },
      },
      {
        level: 'warn',
        message: 'connection pool checkout timed out after POOL_TIMEOUT=250 ms: every connection was in use',
        fields: { poolTimeoutMillis: 250, alsoSinceLastLine: 4 },
      },
    ]);
  });
});
