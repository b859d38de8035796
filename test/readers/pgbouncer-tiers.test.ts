import { describe, expect, it } from 'vitest';
import { readManifests } from '../../src/readers/read-manifests.js';
import { isPgbouncerIni } from '../../src/readers/pgbouncer-tiers.js';

const INI =
  '[databases]\napp = host=db dbname=app\n\n[pgbouncer]\ndefault_pool_size = 10\nmax_db_connections = 10\n';

describe('isPgbouncerIni', () => {
  it.each([
    ['[pgbouncer] section', '[pgbouncer]\nlisten_port = 6432\n', true],
    ['[databases] section, indented and spaced', '  [ databases ]\n* = host=db\n', true],
    ['a setup.cfg-style ini', '[metadata]\nname = clientats\n', false],
    ['a section name that only contains pgbouncer', '[pgbouncer-exporter]\nport = 9127\n', false],
    ['an empty file', '', false],
  ])('%s: %s', (_, text, expected) => {
    expect(isPgbouncerIni(text)).toBe(expected);
  });
});

describe('readManifests with ini files', () => {
  it('skips an ini found in a folder that is not a PgBouncer config, with a note naming it', () => {
    const inputs = readManifests([{ path: 'repo/tox.ini', text: '[tox]\nenvlist = py3\n', named: false }]);
    expect(inputs.pgbouncers).toEqual([]);
    expect(inputs.notes).toEqual([
      'repo/tox.ini: not a PgBouncer config (no [pgbouncer] or [databases] section): skipped',
    ]);
  });

  it('fails when a non-PgBouncer ini is named, as before', () => {
    expect(() => readManifests([{ path: 'tox.ini', text: '[tox]\nenvlist = py3\n' }])).toThrow(
      'tox.ini:1: unknown section [tox], expected one of [databases], [pgbouncer], [users], [peers]',
    );
  });

  it('sizes a found ini by --pgbouncer-replicas like a named one', () => {
    const inputs = readManifests([{ path: 'repo/pgbouncer.ini', text: INI, named: false }], {
      pgbouncerReplicas: 2,
    });
    expect(
      inputs.pgbouncers.map((tier) => [tier.name, tier.fleet.replicas, tier.pools.defaultPoolSize]),
    ).toEqual([['pgbouncer', 2, 10]]);
  });

  it('takes an ini a Compose service mounts as a file: once, sized by the service, whatever the order', () => {
    const compose = [
      'services:',
      '  bouncer:',
      '    image: ghcr.io/cloudnative-pg/pgbouncer:1.25.1',
      '    deploy: { replicas: 3 }',
      '    configs: [{ source: ini, target: /etc/pgbouncer/pgbouncer.ini }]',
      'configs:',
      '  ini: { file: ./config/pgbouncer.ini }',
      '',
    ].join('\n');
    const inputs = readManifests(
      [
        { path: 'repo/config/pgbouncer.ini', text: INI, named: false },
        { path: 'repo/compose.yaml', text: compose, named: false },
      ],
      { pgbouncerReplicas: 9 },
    );
    expect(inputs.pgbouncers.map((tier) => [tier.name, tier.fleet.replicas])).toEqual([['bouncer', 3]]);
  });
});
