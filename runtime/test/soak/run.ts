/**
 * `npm run soak`: the long soak (45 s by default, `SOAK_SECONDS` 30–60) of the
 * real pool against a private embedded PostgreSQL (or `DATABASE_URL`), with
 * every invariant of `runSoak` checked throughout. Prints the figures and exits
 * 1 when any invariant was violated. `SOAK_SEED` replays a run's random choices.
 */
import { loadSettings } from '../../src/contract/index.js';
import { runSoak } from '../reliability/support/soak-engine.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';

const seconds = Number(process.env.SOAK_SECONDS ?? '45');
if (!Number.isInteger(seconds) || seconds < 30 || seconds > 60) {
  console.error(`SOAK_SECONDS must be an integer from 30 to 60, got "${process.env.SOAK_SECONDS}"`);
  process.exit(2);
}
const seed = Number(process.env.SOAK_SEED ?? Date.now() % 2_147_483_647);

async function main(): Promise<number> {
  const external = process.env.DATABASE_URL;
  let database: TestDatabase | undefined;
  if (external === undefined || external === '') {
    database = await startTestDatabase({ maxConnections: 50 });
    console.log(`soak: started an embedded PostgreSQL on port ${database.port}`);
  }
  const url = database?.url ?? external!;
  try {
    const settings = loadSettings({
      DATABASE_URL: url,
      POOL_SIZE: '5',
      POOL_COUNT: '2',
      MAX_OVERFLOW: '3',
      POOL_TIMEOUT: '5000',
      POOL_OVERFLOW_IDLE_MS: '200',
      POOL_IDLE_CHECK_MS: '100',
      POOL_MAX_LIFETIME_MS: '5000',
    });
    console.log(
      `soak: ${seconds} s, 48 callers, POOL_SIZE=5 POOL_COUNT=2 MAX_OVERFLOW=3 POOL_MAX_LIFETIME_MS=5000, seed ${seed}`,
    );
    const report = await runSoak({
      settings,
      adminUrl: url,
      durationMillis: seconds * 1000,
      callers: 48,
      quiesceEveryMillis: 5000,
      seed,
      heapGrowthBoundBytes: 8 * 1024 * 1024,
      maxHoldMillis: 30,
    });
    console.log(JSON.stringify(report, null, 2));
    const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    console.log(
      [
        `operations ${report.operations} (${report.operationsPerSecond}/s), ` +
          `checkouts ${report.checkouts}, released with error ${report.releasedWithError}`,
        `provoked errors ${JSON.stringify(report.provoked)}, unexpected ${Object.keys(report.unexpected).length}`,
        `connections: bound ${report.connectionBound}, most seen by the pool ` +
          `${report.maxPoolTotalSeen}, by the server ${report.maxServerCountSeen}`,
        `quiescent checks ${report.quiescentChecks}; heap ` +
          `${megabytes(report.heapAtFirstQuiescenceBytes)} -> ` +
          `${megabytes(report.heapAtLastQuiescenceBytes)} (bound +` +
          `${megabytes(report.heapGrowthBoundBytes)})`,
        report.violations.length === 0
          ? 'soak: every invariant held'
          : `soak: ${report.violations.length} violations:\n  ${report.violations.join('\n  ')}`,
      ].join('\n'),
    );
    return report.violations.length === 0 ? 0 : 1;
  } finally {
    await database?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
