/**
 * Fault: the PgBouncer in front of PostgreSQL is shut down immediately
 * (SIGTERM cuts every client connection) during load and started again. The
 * runtime treats it like a database restart: readiness, answered through the
 * bouncer, turns 503 and back to 200, only work during the outage fails, no
 * acknowledged write is lost, and the pool refills on its own.
 */
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { recordFigures } from '../reliability/support/figures.js';
import {
  createBouncerRole,
  hasPgbouncer,
  PGBOUNCER_SKIP_REASON,
  startPgbouncer,
  type BouncerRole,
  type TestPgbouncer,
} from '../support/pgbouncer.js';
import { restartFigures, restartSettings, restartUnderLoad } from '../support/restart-under-load.js';

const OUTAGE_MILLIS = 1500;

describe.skipIf(!hasPgbouncer)(`PgBouncer restarted during load${PGBOUNCER_SKIP_REASON}`, () => {
  const adminUrl = inject('databaseUrl');
  let role: BouncerRole;
  let bouncer: TestPgbouncer;
  beforeAll(async () => {
    role = await createBouncerRole(adminUrl, 'bouncer_restart');
    bouncer = await startPgbouncer({ serverUrl: role.url, defaultPoolSize: 2 });
  });
  afterAll(async () => {
    await bouncer?.close();
    await role?.close();
  });

  it(
    'answers readiness through the bouncer: 200, 503 while it is down, 200 again; ' +
      'loses no acknowledged write',
    async () => {
      const settings = restartSettings(bouncer.url, { DATABASE_POOLER: 'pgbouncer' });
      const outcome = await restartUnderLoad({
        settings,
        applicationName: 'bouncer-restart',
        ledgerUrl: role.url,
        ledgerTable: 'ledger_bouncer_restart',
        subject: 'the bouncer',
        outageMillis: OUTAGE_MILLIS,
        stop: () => bouncer.stop(),
        start: () => bouncer.start(),
      });
      recordFigures('pgbouncer-restart', restartFigures(outcome));
    },
  );
});
