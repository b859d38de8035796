import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createReadinessChecker } from '../../src/health/readiness-checker.js';
import { recordingLogger } from '../support/health-fixture.js';
import { startSlowLoginLink } from '../support/slow-login-link.js';

describe('readiness checker', () => {
  it('reconnects within the same check when the server has terminated its connection', async () => {
    const logger = recordingLogger();
    const checker = createReadinessChecker({
      clientConfig: { connectionString: inject('databaseUrl'), application_name: 'readiness-terminate-test' },
      intervalMillis: 60_000,
      timeoutMillis: 2000,
      logger,
    });
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    try {
      expect((await checker.checkNow()).healthy).toBe(true);
      const terminated = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'readiness-terminate-test'`,
      );
      expect(terminated.rowCount).toBe(1);
      const result = await checker.checkNow();
      expect(result).toMatchObject({ healthy: true, reason: undefined });
      const backends = await admin.query(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = 'readiness-terminate-test'`,
      );
      expect(backends.rowCount).toBe(1);
    } finally {
      await checker.stop();
      await admin.end();
    }
  });

  it('runs the next diagnostics operation on a fresh connection after one passed its bound', async () => {
    const checker = createReadinessChecker({
      clientConfig: { connectionString: inject('databaseUrl'), application_name: 'readiness-abandon-test' },
      intervalMillis: 60_000,
      timeoutMillis: 2000,
      logger: recordingLogger(),
    });
    try {
      await expect(checker.withClient((client) => client.query('SELECT pg_sleep(3)'), 300)).rejects.toThrow(
        'the diagnostics query did not finish within 300 ms',
      );
      const { rows } = await checker.withClient(
        (client) => client.query<{ one: number }>('SELECT 1 AS one'),
        5000,
      );
      expect(rows).toEqual([{ one: 1 }]);
      expect(await checker.checkNow()).toMatchObject({
        healthy: true,
        reason: undefined,
        summary: undefined,
      });
    } finally {
      await checker.stop();
    }
  });

  it('recovers when every login takes longer than the check timeout but less than the connect timeout', async () => {
    const shared = new URL(inject('databaseUrl'));
    // Each server reply of the login is held 600 ms: the login takes well over the 300 ms check timeout.
    const link = await startSlowLoginLink(shared.hostname, Number(shared.port || '5432'), 600);
    const url = new URL(inject('databaseUrl'));
    url.hostname = '127.0.0.1';
    url.port = String(link.port);
    const checker = createReadinessChecker({
      clientConfig: { connectionString: url.toString() },
      intervalMillis: 60_000,
      timeoutMillis: 300,
      connectTimeoutMillis: 30_000,
      logger: recordingLogger(),
    });
    try {
      const first = await checker.checkNow();
      expect(first).toMatchObject({
        healthy: false,
        summary: 'timed out',
        reason: 'the readiness check did not finish within 300 ms',
      });
      let result = first;
      // Bounded safety net; each check settles within 300 ms, and the login finishes in the background.
      for (let check = 0; check < 200 && !result.healthy; check += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        result = await checker.checkNow();
      }
      expect(result).toMatchObject({ healthy: true, reason: undefined, summary: undefined });
      // Every check waited for the same connect instead of starting its own.
      expect(link.accepted).toBe(1);
    } finally {
      await checker.stop();
      await link.close();
    }
  });

  describe('against a server that accepts connections and never answers', () => {
    let silent: Server;
    let port = 0;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      // resume(): a socket nobody reads never sees the peer's FIN, so its close would go unnoticed.
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.resume();
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      port = (silent.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('fails the check no earlier than its timeout, with a reason, and leaves no socket open', async () => {
      const checker = createReadinessChecker({
        clientConfig: { host: '127.0.0.1', port, user: 'nobody', database: 'none' },
        intervalMillis: 60_000,
        timeoutMillis: 300,
        logger: recordingLogger(),
      });
      const started = performance.now();
      const result = await checker.checkNow();
      expect(performance.now() - started).toBeGreaterThanOrEqual(299);
      expect(result.healthy).toBe(false);
      expect(result.reason).toMatch(/timeout|did not finish within 300 ms/i);
      await checker.stop();
      for (let attempt = 0; attempt < 200 && sockets.size > 0; attempt += 1)
        await new Promise((resolve) => setTimeout(resolve, 25));
      expect(sockets.size).toBe(0);
    });

    it(
      'opens a fresh connection for every check after one timed out, ' +
        'and never waits on the abandoned connect',
      async () => {
        let accepted = 0;
        const counting = (): void => {
          accepted += 1;
        };
        silent.on('connection', counting);
        const checker = createReadinessChecker({
          clientConfig: { host: '127.0.0.1', port, user: 'nobody', database: 'none' },
          intervalMillis: 60_000,
          timeoutMillis: 200,
          logger: recordingLogger(),
        });
        try {
          for (let check = 1; check <= 3; check += 1) {
            const result = await checker.checkNow();
            expect(result).toMatchObject({
              healthy: false,
              summary: 'timed out',
              reason: 'the readiness check did not finish within 200 ms',
            });
            expect(accepted).toBe(check);
          }
        } finally {
          silent.off('connection', counting);
          await checker.stop();
        }
        for (let attempt = 0; attempt < 200 && sockets.size > 0; attempt += 1)
          await new Promise((resolve) => setTimeout(resolve, 25));
        expect(sockets.size).toBe(0);
      },
    );
    it('keeps one connect across checks until its connect timeout, then cuts it and opens a fresh one', async () => {
      let accepted = 0;
      const counting = (): void => {
        accepted += 1;
      };
      silent.on('connection', counting);
      const checker = createReadinessChecker({
        clientConfig: { host: '127.0.0.1', port, user: 'nobody', database: 'none' },
        intervalMillis: 60_000,
        timeoutMillis: 200,
        connectTimeoutMillis: 1000,
        logger: recordingLogger(),
      });
      try {
        for (let check = 1; check <= 2; check += 1) {
          const result = await checker.checkNow();
          expect(result).toMatchObject({
            healthy: false,
            summary: 'timed out',
            reason: 'the readiness check did not finish within 200 ms',
          });
          expect(accepted).toBe(1);
        }
        // The connect is cut at its own timeout: the server sees its socket close.
        for (let attempt = 0; attempt < 400 && sockets.size > 0; attempt += 1)
          await new Promise((resolve) => setTimeout(resolve, 25));
        expect(sockets.size).toBe(0);
        const after = await checker.checkNow();
        expect(after).toMatchObject({ healthy: false, summary: 'timed out' });
        expect(accepted).toBe(2);
      } finally {
        silent.off('connection', counting);
        await checker.stop();
      }
      for (let attempt = 0; attempt < 200 && sockets.size > 0; attempt += 1)
        await new Promise((resolve) => setTimeout(resolve, 25));
      expect(sockets.size).toBe(0);
    });
  });
});
