/**
 * DATABASE_POOLER: read by `loadSettings`, and what it changes in the client
 * configuration (`clientSetup`): with `pgbouncer` the URL's `options` stay out
 * of the startup packet, with a warning that says where to set them instead.
 */
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { clientSetup } from '../../src/pool/client-config.js';

const URL_WITH_OPTIONS = `postgres://app:secret@bouncer:6432/app?options=${encodeURIComponent('-c search_path=app')}`;

describe('DATABASE_POOLER', () => {
  it('defaults to none and reads pgbouncer in any case', () => {
    expect(loadSettings({}).pooler).toBe('none');
    expect(loadSettings({ DATABASE_POOLER: ' PgBouncer ' }).pooler).toBe('pgbouncer');
  });

  it('fails when the value is not a known pooler', () => {
    expect(() => loadSettings({ DATABASE_POOLER: 'pgcat' })).toThrow(
      /^DATABASE_POOLER must be one of none, pgbouncer, got "pgcat"$/,
    );
  });

  it('sends the URL options when no pooler is set', () => {
    const setup = clientSetup(loadSettings({ DATABASE_URL: URL_WITH_OPTIONS }), undefined);
    expect(setup.config.options).toBe('-c search_path=app');
    expect(setup.warnings).toEqual([]);
  });

  it('keeps the URL options out of the startup packet with DATABASE_POOLER=pgbouncer, and says so', () => {
    const setup = clientSetup(
      loadSettings({ DATABASE_URL: URL_WITH_OPTIONS, DATABASE_POOLER: 'pgbouncer' }),
      'api',
    );
    expect(setup.config.options).toBeUndefined();
    expect(setup.config.application_name).toBe('api');
    expect(setup.warnings).toEqual([
      'DATABASE_URL carries options=-c search_path=app, which is not sent because DATABASE_POOLER=pgbouncer: ' +
        'set it on the server instead (ALTER ROLE … SET …)',
    ]);
  });
});
