import { afterAll, describe, expect, it } from 'vitest';
import type { TieredDatabaseBudget } from '../../src/budget/pgbouncer-tier-budget.js';
import { appDeployment, HAND_WRITTEN_INI } from '../support/pgbouncer-fixtures.js';
import { ManifestFolder, runCheck } from '../support/run-check.js';

const folder = new ManifestFolder();
afterAll(() => folder.remove());

const INI = HAND_WRITTEN_INI;
const app = appDeployment;

const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'bouncer' },
  data: { 'pgbouncer.ini': INI },
};
const bouncer = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'bouncer' },
  spec: {
    replicas: 2,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: {
      spec: {
        containers: [{ name: 'pgbouncer', image: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1' }],
        volumes: [{ name: 'config', configMap: { name: 'bouncer' } }],
      },
    },
  },
};

describe('check with a hand-written PgBouncer tier', () => {
  it('counts a ConfigMap pgbouncer.ini and its Deployment on the server side, the app on the client side', async () => {
    const file = folder.write('hand-written.yaml', [configMap, bouncer, app('clientats', 20)]);
    const outcome = await runCheck('check', file, '--max-connections', '100', '--json');
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    const database = (JSON.parse(outcome.stdout) as { databases: TieredDatabaseBudget[] }).databases[0]!;
    expect(database.totals.rollout).toBe(75);
    expect(database.pgbouncer![0]!.budget.server).toEqual({
      bouncerInstances: 3,
      bouncerConnections: 75,
      direct: 0,
      total: 75,
      usable: 97,
      fits: true,
    });
    // 20 replicas + 5 surge = 25 pods × 11 = 275 ≤ 2 × 400
    expect(database.pgbouncer![0]!.budget.client).toMatchObject({
      demand: 275,
      capacity: 800,
      strictCapacity: 400,
      fits: true,
    });
  });

  it('counts a direct client on the server side next to the bouncers', async () => {
    const file = folder.write('mixed.yaml', [
      configMap,
      bouncer,
      app('clientats', 20),
      app('reports', 1, false),
    ]);
    const outcome = await runCheck('check', file, '--max-connections', '100', '--json');
    const database = (JSON.parse(outcome.stdout) as { databases: TieredDatabaseBudget[] }).databases[0]!;
    // reports: 2 pods (1 + 1 surge) × 11 = 22 direct; 75 + 22 = 97 ≤ 97
    expect(database.pgbouncer![0]!.budget.server).toMatchObject({ direct: 22, total: 97, fits: true });
    expect(outcome.code).toBe(0);
  });

  it('reads a plain pgbouncer.ini given by name with --pgbouncer-replicas', async () => {
    const ini = folder.write('pgbouncer.ini', INI);
    const file = folder.write('app.yaml', [app('clientats', 20)]);
    const outcome = await runCheck(
      'check',
      ini,
      file,
      '--max-connections',
      '60',
      '--pgbouncer-replicas',
      '3',
    );
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toContain(
      'server side: 4 bouncer pods × 25 server connections + 0 direct = 100 > 57 usable: OVER BUDGET',
    );
  });

  it("counts a plain ini's bouncers as plan does: replicas + --pgbouncer-max-surge (default 1)", async () => {
    const planned = await runCheck(
      'plan',
      '--solve',
      'pgbouncer-pool-size',
      '--max-connections',
      '100',
      '--pgbouncer-replicas',
      '2',
      '--reserve-pool-size',
      '5',
    );
    expect(planned.stdout).toContain(
      'default_pool_size 27 (reserve_pool_size 5): 3 bouncer pods (2 + 1 surge) × 32 server connections = 96',
    );
    const ini = folder.write(
      'planned/pgbouncer.ini',
      INI.replace('default_pool_size = 20', 'default_pool_size = 27').replace(
        'max_db_connections = 25',
        'max_db_connections = 32',
      ),
    );
    const file = folder.write('planned/app.yaml', [app('clientats', 4)]);
    const check = (...surge: string[]) =>
      runCheck('check', ini, file, '--max-connections', '100', '--pgbouncer-replicas', '2', ...surge);
    const byDefault = await check();
    expect(byDefault.stdout).toContain(
      'server side: 3 bouncer pods × 32 server connections + 0 direct = 96 ≤ 97 usable: fits',
    );
    const noSurge = await check('--pgbouncer-max-surge', '0');
    expect(noSurge.stdout).toContain(
      'server side: 2 bouncer pods × 32 server connections + 0 direct = 64 ≤ 97 usable: fits',
    );
  });

  it(
    'fails when a plain ini has no max_db_connections and the users are not given; ' +
      '--pgbouncer-users counts them',
    async () => {
      const ini = folder.write('uncapped/pgbouncer.ini', INI.replace('max_db_connections = 25\n', ''));
      const file = folder.write('uncapped/app.yaml', [app('clientats', 4)]);
      const refused = await runCheck(
        'check',
        ini,
        file,
        '--max-connections',
        '100',
        '--pgbouncer-replicas',
        '1',
      );
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe(
        `clientats-deploy: ${ini} [databases] clientats has no user= and no max_db_connections, so every user in ` +
          'the userlist gets its own pool of default_pool_size + reserve_pool_size server connections, and check ' +
          'cannot read the userlist: set max_db_connections (the server connections one bouncer may open per ' +
          'database), or give the number of users with --pgbouncer-users N\n',
      );
      const counted = await runCheck(
        'check',
        ini,
        file,
        '--max-connections',
        '100',
        '--pgbouncer-replicas',
        '1',
        '--pgbouncer-users',
        '2',
      );
      // (1 + 1 surge) bouncer pods × 2 users × (20 + 5) = 100 > 97.
      expect(counted.code).toBe(1);
      expect(counted.stdout).toContain(
        'server side: 2 bouncer pods × 50 server connections + 0 direct = 100 > 97 usable: OVER BUDGET',
      );
    },
  );

  it('fails when a plain pgbouncer.ini comes without --pgbouncer-replicas', async () => {
    const ini = folder.write('alone/pgbouncer.ini', INI);
    const outcome = await runCheck('check', ini, '--max-connections', '100');
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe(
      `clientats-deploy: ${ini}: a pgbouncer.ini does not say how many bouncers run it: ` +
        'give the count with --pgbouncer-replicas N (pods incl. HPA max; ' +
        '--pgbouncer-max-surge adds the rollout surge, default 1)\n',
    );
  });

  it('fails when --pgbouncer-replicas is not a count', async () => {
    const outcome = await runCheck(
      'check',
      'x.ini',
      '--max-connections',
      '100',
      '--pgbouncer-replicas',
      'two',
    );
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe(
      'clientats-deploy: --pgbouncer-replicas must be an integer >= 1 ' +
        '(PgBouncer pods running the pgbouncer.ini, HPA max included), got "two"\n',
    );
  });

  it.each([
    [
      '--pgbouncer-users',
      '0',
      'an integer >= 1 (users in the PgBouncer userlist that connect through entries without user=)',
    ],
    [
      '--pgbouncer-users',
      '1.5',
      'an integer >= 1 (users in the PgBouncer userlist that connect through entries without user=)',
    ],
    ['--pgbouncer-max-surge', '-1', 'an integer >= 0 (extra PgBouncer pods during a rollout, default 1)'],
    ['--pgbouncer-max-surge', '25%', 'an integer >= 0 (extra PgBouncer pods during a rollout, default 1)'],
  ])('fails when check gets %s %s', async (flag, value, allowed) => {
    const outcome = await runCheck('check', 'x.ini', '--max-connections', '100', flag, value);
    expect(outcome).toMatchObject({ code: 2, stdout: '' });
    expect(outcome.stderr).toBe(`clientats-deploy: ${flag} must be ${allowed}, got "${value}"\n`);
  });

  it('fails when an app says DATABASE_POOLER=pgbouncer and no tier is given', async () => {
    const file = folder.write('pooled-only.yaml', [app('clientats', 2)]);
    const outcome = await runCheck('check', file, '--max-connections', '100');
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe(
      'clientats-deploy: clientats connect through PgBouncer (DATABASE_POOLER=pgbouncer) but no ' +
        'PgBouncer tier of database "database" is in the input: pass its ConfigMap and Deployment, ' +
        'or its pgbouncer.ini ' +
        'with --pgbouncer-replicas N\n',
    );
  });

  it('fails when the client side is over max_client_conn', async () => {
    const file = folder.write('too-many.yaml', [configMap, bouncer, app('clientats', 80)]);
    const outcome = await runCheck('check', file, '--max-connections', '100');
    expect(outcome.code).toBe(1);
    // 80 + 20 surge = 100 pods × 11 = 1100 > 2 × 400
    expect(outcome.stdout).toContain(
      'client side: apps behind open 1100 > 2 bouncers × max_client_conn 400 = 800: OVER BUDGET',
    );
    // The database's own slots fit (75 ≤ 97): the verdict names the client side, with no negative "by".
    expect(outcome.stdout).toContain(
      '  OVER BUDGET: PgBouncer bouncer client side over budget: the apps behind it open 1100 connections',
    );
  });
});

describe('plan for a PgBouncer tier', () => {
  it('solves default_pool_size for the server side', async () => {
    const outcome = await runCheck(
      'plan',
      '--solve',
      'pgbouncer-pool-size',
      '--max-connections',
      '100',
      '--pgbouncer-replicas',
      '2',
      '--reserve-pool-size',
      '5',
    );
    expect(outcome.stdout).toBe(
      'default_pool_size 27 (reserve_pool_size 5): 3 bouncer pods (2 + 1 surge) × 32 server ' +
        'connections = 96 ≤ 97 usable\n',
    );
    expect(outcome.code).toBe(0);
  });

  it('solves the largest app fleet behind the bouncers', async () => {
    const outcome = await runCheck(
      'plan',
      '--solve',
      'pgbouncer-fleet',
      '--pgbouncer-replicas',
      '2',
      '--max-client-conn',
      '550',
      '--pool-size',
      '8',
      '--max-overflow',
      '2',
    );
    expect(outcome.stdout).toBe(
      'app replicas (or HPA max) 40: 50 pods with surge × 11 = 550 client connections ≤ ' +
        '1 serving bouncer(s) × max_client_conn 550 = 550\n',
    );
    expect(outcome.code).toBe(0);
  });

  it('fails when --solve pgbouncer-fleet has no --max-client-conn', async () => {
    const outcome = await runCheck(
      'plan',
      '--solve',
      'pgbouncer-fleet',
      '--pgbouncer-replicas',
      '2',
      '--pool-size',
      '8',
    );
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe(
      'clientats-deploy: --solve pgbouncer-fleet needs --max-client-conn N (per bouncer)\n',
    );
  });

  it('fails when --solve pgbouncer-pool-size has no --pgbouncer-replicas', async () => {
    const outcome = await runCheck('plan', '--solve', 'pgbouncer-pool-size', '--max-connections', '100');
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe(
      'clientats-deploy: --solve pgbouncer-pool-size needs --pgbouncer-replicas N (PgBouncer pods)\n',
    );
  });
});
