import { describe, expect, it } from 'vitest';
import { readHerokuAppJson } from '../../src/readers/heroku-app-json.js';
import { InputError } from '../../src/readers/manifest-input.js';

const SOURCE = 'heroku/api/app.json';

/** An app.json behind the PgBouncer buildpack; `env` over POOL_* of 1 × (10 + 5). */
function bounced(env: Record<string, unknown> = {}, buildpack = 'heroku/pgbouncer'): unknown {
  return {
    name: 'api',
    buildpacks: [{ url: buildpack }, { url: 'heroku/nodejs' }],
    env: { POOL_SIZE: '10', MAX_OVERFLOW: '5', DATABASE_POOLER: 'pgbouncer', DATABASE_SSL: 'false', ...env },
    formation: { web: { quantity: 10 } },
    addons: ['heroku-postgresql:standard-0'],
    features: ['preboot'],
  };
}

function messageOf(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('readHerokuAppJson behind the PgBouncer buildpack', () => {
  it('reads the buildpack and its config vars into a per-dyno tier serving the app', () => {
    const findings = readHerokuAppJson(
      bounced({
        PGBOUNCER_DEFAULT_POOL_SIZE: '4',
        PGBOUNCER_RESERVE_POOL_SIZE: { value: '1' },
        PGBOUNCER_MAX_CLIENT_CONN: '100',
        PGBOUNCER_POOL_MODE: 'transaction',
      }),
      SOURCE,
    );
    expect(findings.consumers).toEqual([
      {
        kind: 'heroku',
        name: 'api/web',
        source: SOURCE,
        dynos: 10,
        preboot: true,
        pool: { poolSize: 10, poolCount: 1, maxOverflow: 5 },
        pooler: 'pgbouncer',
      },
    ]);
    expect(findings.pgbouncers).toHaveLength(1);
    const tier = findings.pgbouncers[0]!;
    expect({ name: tier.name, file: tier.file, pools: tier.pools, fleet: tier.fleet }).toEqual({
      name: 'api',
      file: SOURCE,
      pools: {
        databases: [{ name: 'db1', users: [{ user: 'DATABASE_URL' }] }],
        defaultPoolSize: 4,
        reservePoolSize: 1,
        maxClientConn: 100,
      },
      fleet: { replicas: 10, placement: { kind: 'per-instance', unit: 'dyno', serves: ['api/web'] } },
    });
    expect(tier.ini.pgbouncer).toMatchObject({ pool_mode: 'transaction', default_pool_size: '4' });
  });

  it("uses the buildpack's defaults (1 + 1 per dyno, 100 clients), not PgBouncer's, when no var is set", () => {
    const tier = readHerokuAppJson(bounced(), SOURCE).pgbouncers[0]!;
    expect(tier.pools).toEqual({
      databases: [{ name: 'db1', users: [{ user: 'DATABASE_URL' }] }],
      defaultPoolSize: 1,
      reservePoolSize: 1,
      maxClientConn: 100,
    });
  });

  it('recognises the buildpack by its GitHub URL', () => {
    const url = 'https://github.com/heroku/heroku-buildpack-pgbouncer.git#v0.17.0';
    expect(readHerokuAppJson(bounced({}, url), SOURCE).pgbouncers).toHaveLength(1);
  });

  it('opens one pool per URL of PGBOUNCER_URLS, with a note', () => {
    const findings = readHerokuAppJson(
      bounced({ PGBOUNCER_URLS: 'DATABASE_URL HEROKU_POSTGRESQL_ROSE_URL' }),
      SOURCE,
    );
    expect(findings.pgbouncers[0]!.pools.databases.map((database) => database.name)).toEqual(['db1', 'db2']);
    expect(findings.notes).toEqual([
      `${SOURCE}: PGBOUNCER_URLS routes DATABASE_URL, HEROKU_POSTGRESQL_ROSE_URL through each dyno's bouncer: ` +
        "a pool per URL per dyno, all counted against this app's database",
    ]);
  });

  it('counts the dynos directly when PGBOUNCER_ENABLED switches the buildpack off', () => {
    const findings = readHerokuAppJson(bounced({ PGBOUNCER_ENABLED: 'false' }), SOURCE);
    expect(findings.pgbouncers).toEqual([]);
    expect(findings.consumers[0]).not.toHaveProperty('pooler');
    expect(findings.notes).toEqual([
      `${SOURCE}: the PgBouncer buildpack is disabled (PGBOUNCER_ENABLED="false"): its dynos connect directly`,
    ]);
  });

  it('reads no tier from an app without the buildpack', () => {
    const findings = readHerokuAppJson({ name: 'api', env: { POOL_SIZE: '10' } }, SOURCE);
    expect(findings.pgbouncers).toEqual([]);
    expect(findings.consumers[0]).not.toHaveProperty('pooler');
  });

  it('fails when a pool var has no value in app.json', () => {
    expect(
      messageOf(() =>
        readHerokuAppJson(bounced({ PGBOUNCER_DEFAULT_POOL_SIZE: { required: true } }), SOURCE),
      ),
    ).toBe(
      `${SOURCE}: env PGBOUNCER_DEFAULT_POOL_SIZE has no value (it is set when the app is created), so the ` +
        `dynos' bouncers cannot be sized: give it a "value" in app.json`,
    );
  });

  it('fails when a pool var is not a count', () => {
    expect(messageOf(() => readHerokuAppJson(bounced({ PGBOUNCER_MAX_CLIENT_CONN: 'lots' }), SOURCE))).toBe(
      `${SOURCE}: env: PGBOUNCER_MAX_CLIENT_CONN must be an integer >= 1, got "lots"`,
    );
  });

  it('fails when buildpacks is not a list', () => {
    expect(
      messageOf(() =>
        readHerokuAppJson({ ...(bounced() as object), buildpacks: 'heroku/pgbouncer' }, SOURCE),
      ),
    ).toBe(`${SOURCE}: buildpacks must be a list like [{"url": "heroku/nodejs"}], got "heroku/pgbouncer"`);
  });

  it('notes that a worker process type is counted behind its own bouncers', () => {
    const app = bounced() as { formation: Record<string, unknown> };
    const findings = readHerokuAppJson(
      { ...app, formation: { web: { quantity: 2 }, worker: { quantity: 1 } } },
      SOURCE,
    );
    expect(findings.pgbouncers[0]!.fleet.placement).toEqual({
      kind: 'per-instance',
      unit: 'dyno',
      serves: ['api/web', 'api/worker'],
    });
    expect(findings.notes).toEqual([
      `${SOURCE}: api/worker is counted behind its dynos' own bouncers: its Procfile line must start with ` +
        'bin/start-pgbouncer, or it connects directly with more connections than counted',
    ]);
  });
});
