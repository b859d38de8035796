import { describe, expect, it } from 'vitest';
import { pgbouncerBudget } from '../../src/budget/pgbouncer-budget.js';
import { pgbouncerBudgetLines, pgbouncerBudgetText } from '../../src/budget/pgbouncer-report.js';

describe('pgbouncerBudgetLines', () => {
  it('shows why 500 app connections fit a 100-connection server', () => {
    const budget = pgbouncerBudget({
      usable: 97,
      bouncer: {
        databases: [{ name: 'app', users: [{ user: 'app' }] }],
        defaultPoolSize: 31,
        maxClientConn: 500,
      },
      fleet: { replicas: 2 },
      behind: [{ name: 'api', instances: 50, perInstance: 10 }],
      direct: [{ name: 'migrations', instances: 1, perInstance: 2 }],
    });
    expect(pgbouncerBudgetLines('pgbouncer', budget)).toEqual([
      '#### PgBouncer tier `pgbouncer`: fits',
      '',
      '| tier | counted | total | bound | verdict |',
      '|---|---|---|---|---|',
      '| server (PostgreSQL) | 3 bouncer pods × 31 server connections + 2 direct | 95 | ≤ 97 usable | fits |',
      '| client (even spread) | app instances × per_instance behind the bouncers | 500 | ≤ 2 × ' +
        'max_client_conn 500 = 1000 | fits |',
      '| client (strict: 1 bouncer(s) down in a rollout) | same | 500 | ≤ 1 × 500 = 500 | fits |',
      '',
      'Assumption: client connections spread evenly over the serving bouncers (a Service balances ' +
        'connections, not queries); ' +
        'the strict bound also takes the bouncers a rollout may have down out of service.',
    ]);
  });

  it('marks an over-budget tier and shows the caps', () => {
    const budget = pgbouncerBudget({
      usable: 50,
      bouncer: {
        databases: [{ name: 'app', users: [{ user: 'a' }, { user: 'b' }] }],
        defaultPoolSize: 20,
        maxDbConnections: 25,
      },
      fleet: { replicas: 2 },
      behind: [{ name: 'api', instances: 3, perInstance: 11 }],
    });
    const lines = pgbouncerBudgetLines('bouncer', budget);
    expect(lines[0]).toBe('#### PgBouncer tier `bouncer`: **over budget**');
    expect(lines[4]).toBe(
      '| server (PostgreSQL) | 3 bouncer pods × 25 server connections (pools add up to 40, ' +
        'capped by max_db/user_connections) ' +
        '+ 0 direct | 75 | ≤ 50 usable | **over budget** |',
    );
  });
});

describe('pgbouncerBudgetLines for a bouncer in every dyno', () => {
  it('says the tier is per dyno on both sides', () => {
    const budget = pgbouncerBudget({
      usable: 117,
      bouncer: {
        databases: [{ name: 'db1', users: [{ user: 'DATABASE_URL' }] }],
        defaultPoolSize: 4,
        reservePoolSize: 1,
        maxClientConn: 100,
      },
      fleet: { replicas: 10, placement: { kind: 'per-instance', unit: 'dyno', serves: ['app/web'] } },
      behind: [{ name: 'app/web', instances: 20, perInstance: 16 }],
    });
    expect(pgbouncerBudgetLines('clientats-bounced', budget)).toEqual([
      '#### PgBouncer `clientats-bounced`, one per dyno: fits',
      '',
      '| tier | counted | total | bound | verdict |',
      '|---|---|---|---|---|',
      '| server (PostgreSQL) | 20 dynos, each with its own bouncer, ' +
        '× 5 server connections + 0 direct | 100 | ≤ 117 usable | fits |',
      "| client (per dyno) | one dyno's connections to its own bouncer | 16 | ≤ max_client_conn 100 | fits |",
      '',
      "Assumption: one PgBouncer runs inside every dyno and serves only that dyno's connections, so the client " +
        'side is per dyno; a deploy adds bouncers with the new dynos, counted on the server side.',
    ]);
  });
});

describe('pgbouncerBudgetText', () => {
  it('states ">" on every line that does not fit, never "≤"', () => {
    const budget = pgbouncerBudget({
      usable: 97,
      bouncer: {
        databases: [{ name: 'app', users: [{ user: 'app' }] }],
        defaultPoolSize: 25,
        maxClientConn: 100,
      },
      fleet: { replicas: 6 },
      behind: [{ name: 'api', instances: 10, perInstance: 60 }],
    });
    expect(pgbouncerBudgetText('pgbouncer', budget).slice(0, 4)).toEqual([
      'PgBouncer tier pgbouncer: OVER BUDGET',
      '  server side: 8 bouncer pods × 25 server connections + 0 direct = 200 > 97 usable: OVER BUDGET',
      '  client side: apps behind open 600 ≤ 6 bouncers × max_client_conn 100 = 600: fits',
      '  client side, strict (1 bouncer(s) down in a rollout): 600 > 5 × 100 = 500: over (warning)',
    ]);
  });
});
