/**
 * The server-side ceiling: pgbench with a custom `SELECT 1;` script over TCP,
 * the same connection count and the same protocol mode as the Node contenders.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** pgbench's version line, or `undefined` when it is not on PATH. */
export async function pgbenchVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run('pgbench', ['--version'], { timeout: 10_000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** One pgbench run. */
export interface PgbenchOptions {
  readonly databaseUrl: string;
  readonly protocol: 'simple' | 'extended';
  readonly clients: number;
  readonly threads: number;
  /** Whole seconds (pgbench's `-T`), at least 1; ignored when `transactionsPerClient` is given. */
  readonly seconds: number;
  /**
   * A fixed count per client (pgbench's `-t`) instead of a duration: a smoke
   * run that must process something however slow the machine is. The run
   * fails unless every transaction was processed.
   */
  readonly transactionsPerClient?: number;
}

let scriptPath: string | undefined;

/** Runs pgbench and returns its transactions (= queries) per second, initial connection time excluded. */
export async function runPgbench(options: PgbenchOptions): Promise<number> {
  if (scriptPath === undefined) {
    const directory = mkdtempSync(join(tmpdir(), 'clientats-bench-'));
    process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
    scriptPath = join(directory, 'select-1.sql');
    writeFileSync(scriptPath, 'SELECT 1;\n');
  }
  const url = new URL(options.databaseUrl);
  const seconds = Math.max(1, Math.round(options.seconds));
  const { transactionsPerClient } = options;
  const length =
    transactionsPerClient === undefined ? ['-T', String(seconds)] : ['-t', String(transactionsPerClient)];
  const args = [
    '-n',
    '-f',
    scriptPath,
    '-M',
    options.protocol,
    '-c',
    String(options.clients),
    '-j',
    String(options.threads),
    ...length,
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username),
    decodeURIComponent(url.pathname.slice(1)) || 'postgres',
  ];
  // A fixed count has no duration: it gets the same generous bound as a long run (a safety net, not a timing).
  const { stdout } = await run('pgbench', args, {
    timeout: (transactionsPerClient === undefined ? seconds + 30 : 120) * 1000,
    env: {
      ...process.env,
      PGPASSWORD: decodeURIComponent(url.password),
      PGAPPNAME: 'clientats-bench-pgbench',
    },
  });
  const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
  const expected = transactionsPerClient === undefined ? 1 : transactionsPerClient * options.clients;
  if (processed === null || Number(processed[1]) < expected)
    throw new Error(
      `pgbench processed ${processed?.[1] ?? 'no'} transactions, ` +
        `expected ${transactionsPerClient === undefined ? 'at least 1' : expected} (${length.join(' ')}` +
        `): ${stdout.slice(-300)}`,
    );
  const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (match === null)
    throw new Error(
      `pgbench printed no "tps = … (without initial connection time)" line: ${stdout.slice(-300)}`,
    );
  return Number(match[1]);
}
