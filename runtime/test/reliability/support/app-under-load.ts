/**
 * A child process for the SIGTERM scenario: an application built the way the
 * README tells users to (settings from the environment, `createPool`,
 * `createHealthServer` with SIGTERM handling), whose workers keep writing
 * through the pool. Every operation is written to stdout synchronously as one
 * JSON line, so nothing is lost when the process exits:
 * `{"kind":"op","id":1,"start":…,"end":…,"ok":true}`, `{"kind":"end-began","at":…}`,
 * `{"kind":"listening","url":…}`, `{"kind":"exit","code":0}`, and the health server's
 * log lines as `{"kind":"log","level":…,"msg":…}`.
 * Env: the contract's variables plus LEDGER_TABLE and WORKERS.
 */
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadSettings } from '../../../src/contract/index.js';
import { createHealthServer } from '../../../src/health/health-server.js';
import { createPool } from '../../../src/pool/create-pool.js';

const emit = (line: object): void => {
  writeSync(1, `${JSON.stringify(line)}\n`);
};
const now = (): number => performance.timeOrigin + performance.now();

const settings = loadSettings(process.env);
const table = process.env.LEDGER_TABLE ?? 'ledger';
const workers = Number(process.env.WORKERS ?? '4');
const pool = createPool(settings, { applicationName: 'reliability-sigterm' });
const end = pool.end.bind(pool);
pool.end = (options) => {
  emit({ kind: 'end-began', at: now() });
  return end(options);
};
await pool.ready;
// The health server's lines as `{"kind":"log",…}`, so the test can wait for "shutdown started" instead of timing it.
const log =
  (level: string) =>
  (fields: object, msg: string): void =>
    emit({ kind: 'log', level, msg, ...fields });
const logger = { debug: () => undefined, info: log('info'), warn: log('warn'), error: log('error') };
const server = await createHealthServer({
  pool,
  settings,
  logger,
  host: '127.0.0.1',
  signals: ['SIGTERM'],
  exit: (code) => {
    emit({ kind: 'exit', code });
    process.exit(code);
  },
});
emit({ kind: 'listening', url: server.url });

let next = 0;
const insert = `INSERT INTO ${table} (id) SELECT $1::int FROM pg_sleep($2::float8 / 1000)`;
const worker = async (): Promise<void> => {
  for (let step = 0; step < 100_000; step += 1) {
    const id = next++;
    const start = now();
    try {
      await pool.query(insert, [id, Math.floor(Math.random() * 300)]);
      emit({ kind: 'op', id, start, end: now(), ok: true });
    } catch (error) {
      const code = (error as { code?: string }).code;
      emit({
        kind: 'op',
        id,
        start,
        end: now(),
        ok: false,
        code,
        error: (error as Error).message.split('\n')[0],
      });
      if (code === 'POOL_ENDED') return;
    }
  }
};
await Promise.all(Array.from({ length: workers }, () => worker()));
