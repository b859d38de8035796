import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { pgbouncerComposeFragment } from '../../src/pgbouncer/pgbouncer-compose-service.js';
import { parsePgbouncerIni } from '../../src/pgbouncer/pgbouncer-ini.js';
import { PgBouncer } from '../../src/pgbouncer/pgbouncer.js';
import { composeSchemaErrors } from '../support/compose-schema.js';

const settings = new PgBouncer(new Chart(Testing.app(), 'test'), 'pgbouncer', {
  server: { host: 'db', database: 'clientats' },
}).settings;

describe('pgbouncerComposeFragment', () => {
  const fragment = pgbouncerComposeFragment({
    settings,
    userlistEnvironment: 'CLIENTATS_PGBOUNCER_USERLIST',
    databaseService: 'db',
  });

  it('makes a valid Compose file with the app waiting for the bouncer', () => {
    const document = {
      services: {
        ...fragment.services,
        app: { image: 'clientats:latest', depends_on: fragment.appDependsOn },
        db: { image: 'postgres:17', healthcheck: { test: ['CMD-SHELL', 'pg_isready'] } },
      },
      configs: fragment.configs,
      secrets: fragment.secrets,
    };
    expect(composeSchemaErrors(document)).toEqual([]);
    expect(fragment.appDependsOn).toEqual({ pgbouncer: { condition: 'service_healthy' } });
    expect(fragment.services.pgbouncer).toMatchObject({
      image: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1',
      depends_on: { db: { condition: 'service_healthy' } },
      configs: [{ source: 'pgbouncer-ini', target: '/etc/pgbouncer/pgbouncer.ini' }],
      secrets: ['pgbouncer-userlist'],
    });
  });

  it('reads the userlist from the Compose secret and holds no password', () => {
    const ini = parsePgbouncerIni(fragment.configs['pgbouncer-ini']!.content);
    expect(ini.pgbouncer.auth_file).toBe('/run/secrets/pgbouncer-userlist');
    expect(ini.databases).toEqual({ clientats: { host: 'db', port: '5432', dbname: 'clientats' } });
    expect(fragment.secrets).toEqual({
      'pgbouncer-userlist': { environment: 'CLIENTATS_PGBOUNCER_USERLIST' },
    });
    expect(JSON.stringify(fragment)).not.toMatch(/password/i);
  });
});
