import { describe, expect, it } from 'vitest';
import { pgbouncerBudget } from '../../src/budget/pgbouncer-budget.js';
import { bouncerPoolsFromIni } from '../../src/pgbouncer/bouncer-pools-from-ini.js';
import { parsePgbouncerIni } from '../../src/pgbouncer/pgbouncer-ini.js';

const HAND_WRITTEN = `
[databases]
app = host=10.0.0.5 dbname=app
reports = host=10.0.0.5 dbname=reports user=reporter pool_size=5 reserve_pool=1
[pgbouncer]
default_pool_size = 20
reserve_pool_size = 2
max_db_connections = 30
max_client_conn = 500
[users]
reporter = max_user_connections=4
`;

describe('bouncerPoolsFromIni', () => {
  it('reads pools, caps and max_client_conn of a hand-written file', () => {
    expect(bouncerPoolsFromIni(parsePgbouncerIni(HAND_WRITTEN), { users: ['api', 'worker'] })).toEqual({
      databases: [
        { name: 'app', users: [{ user: 'api' }, { user: 'worker' }] },
        { name: 'reports', users: [{ user: 'reporter' }], poolSize: 5, reservePoolSize: 1 },
      ],
      defaultPoolSize: 20,
      reservePoolSize: 2,
      maxDbConnections: 30,
      maxClientConn: 500,
      userMaxConnections: { reporter: 4 },
    });
  });

  it('gives the budget what one bouncer opens: app min(2 × 22, 30) + reports min(6, 30, user cap 4) = 34', () => {
    const bouncer = bouncerPoolsFromIni(parsePgbouncerIni(HAND_WRITTEN), { users: ['api', 'worker'] });
    const budget = pgbouncerBudget({ usable: 97, bouncer, fleet: { replicas: 2 }, behind: [] });
    expect({ perBouncer: budget.perBouncer, total: budget.server.total, fits: budget.server.fits }).toEqual({
      perBouncer: 34,
      total: 102,
      fits: false,
    });
  });

  it('leaves unset settings to PgBouncer defaults', () => {
    const bouncer = bouncerPoolsFromIni(parsePgbouncerIni('[databases]\napp = host=db\n[pgbouncer]\n'), {
      users: ['app'],
    });
    expect(bouncer).toEqual({ databases: [{ name: 'app', users: [{ user: 'app' }] }] });
    expect(pgbouncerBudget({ usable: 97, bouncer, fleet: { replicas: 2 }, behind: [] }).perBouncer).toBe(20);
  });

  it('fails when an entry grows with every user and the users are not given: the userlist is never read', () => {
    const ini = parsePgbouncerIni('[databases]\napp = host=db\n[pgbouncer]\ndefault_pool_size = 30\n');
    expect(() => bouncerPoolsFromIni(ini, { source: 'k8s/bouncer.ini' })).toThrow(
      'k8s/bouncer.ini [databases] app has no user= and no max_db_connections, so every user in the userlist ' +
        'gets its own pool of default_pool_size + reserve_pool_size server connections, and check cannot read ' +
        'the userlist: set max_db_connections (the server connections one bouncer may open per database), ' +
        'or give the number of users with --pgbouncer-users N',
    );
    // Capped, pinned to one user, or with the users given, it is counted.
    const capped = parsePgbouncerIni('[databases]\napp = host=db\n[pgbouncer]\nmax_db_connections = 30\n');
    expect(bouncerPoolsFromIni(capped).maxDbConnections).toBe(30);
    const pinned = parsePgbouncerIni('[databases]\napp = host=db user=api\n[pgbouncer]\n');
    expect(bouncerPoolsFromIni(pinned).databases[0]!.users).toEqual([{ user: 'api' }]);
    const two = bouncerPoolsFromIni(ini, { users: ['user 1', 'user 2'] });
    expect(pgbouncerBudget({ usable: 97, bouncer: two, fleet: { replicas: 1 }, behind: [] }).perBouncer).toBe(
      60,
    );
  });

  it('fails when a pool setting is not a count', () => {
    expect(() =>
      bouncerPoolsFromIni(parsePgbouncerIni('[pgbouncer]\ndefault_pool_size = lots\n'), {
        source: 'k8s/bouncer.ini',
      }),
    ).toThrow('k8s/bouncer.ini [pgbouncer] default_pool_size must be an integer >= 0, got "lots"');
  });
});
