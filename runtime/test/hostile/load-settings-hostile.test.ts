/**
 * Hostile environments for the settings contract (fast-check): every value of
 * every variable, and every combination, ends in typed settings that match the
 * contract or in one `SettingsError` whose every line names its variable, is a
 * single line without control characters, and never shows a password or token.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ENVIRONMENT_VARIABLES,
  LOG_LEVELS,
  SSL_MODES,
  SettingsError,
  loadSettings,
  validateEnvironment,
  type Environment,
  type Settings,
} from '../../src/contract/index.js';

/** Markers around generated passwords and tokens: if either shows up in a message, a secret leaked. */
const SECRET_HEAD = 'PWHEADq7';
const SECRET_TAIL = 'q7PWTAIL';
const NAMES = ENVIRONMENT_VARIABLES.map((variable) => variable.name);
const LINE_START = new RegExp(`^(${NAMES.join('|')})\\b`);
/** Runs per property: enough to hit every generator branch many times, bounded so the file stays near a second. */
const RUNS = 400;

/**
 * Values that break naive parsers: blanks, signs, floats, exponents, huge numbers, unicode digits, control
 * characters.
 */
const nastyConstants = fc.constantFrom(
  '',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '  10  ',
  '+5',
  '-1',
  '-0',
  '0',
  '00',
  '007',
  '1.5',
  '1.0',
  '1e3',
  '0x10',
  '0b11',
  '0o7',
  '1_000',
  'Infinity',
  '-Infinity',
  'NaN',
  'null',
  'undefined',
  'true',
  'TRUE',
  'false',
  'yes',
  '١٢',
  '１０',
  '10\u0000',
  '\u202e10',
  '\ufeff10',
  '10\u00a0',
  '9'.repeat(400),
  '2147483647',
  '2147483648',
  '9007199254740991',
  '9007199254740993',
  '-9007199254740993',
  '💥',
  'é',
  'verify-full',
  'VERIFY-FULL',
  ' require ',
  'prefer',
  'allow',
  'Debug',
  'silent ',
  '${POOL_SIZE}',
  '$(id)',
  '"10"',
  "'10'",
  '[10]',
  '{}',
);

const numbers = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.double().map(String),
  fc.integer({ min: 0, max: 70_000 }).map((value) => ` ${value}\t`),
);

/** A password made of URL-breaking characters, fenced by the markers. */
const password = fc
  .string({
    unit: fc.constantFrom(
      'a',
      'Z',
      '9',
      '@',
      ':',
      '/',
      '?',
      '#',
      '%',
      '&',
      '=',
      ' ',
      '\n',
      '[',
      ']',
      '"',
      '\\',
      'é',
      '💥',
    ),
    maxLength: 12,
  })
  .map((middle) => `${SECRET_HEAD}${middle}${SECRET_TAIL}`);

/** Database URLs, well-formed and not: odd schemes, hosts, ports, raw passwords with delimiters in them. */
const databaseUrls = fc.oneof(
  fc
    .record({
      scheme: fc.constantFrom('postgres', 'postgresql', 'ecto', 'POSTGRES', 'mysql', 'http', 'postgres:', ''),
      separator: fc.constantFrom('://', ':/', ':', '//', ':///'),
      user: fc.constantFrom('app', '', 'us er', 'ü', 'a:b'),
      password,
      host: fc.constantFrom(
        'db',
        '127.0.0.1',
        '[::1]',
        '',
        'db.example.com',
        '[::1',
        'db:5432',
        'ex ample',
        'дб',
      ),
      port: fc.constantFrom('', ':5432', ':0', ':65536', ':abc', ':-1', ':99999999999'),
      path: fc.constantFrom('/app', '', '/', '/a/b', '?sslmode=require', '/app?password=x', '#frag', '/%zz'),
    })
    .map(
      ({ scheme, separator, user, password: secret, host, port, path }) =>
        `${scheme}${separator}${user}:${secret}@${host}${port}${path}`,
    ),
  fc.webUrl().map((url) => url.replace(/^https?/, 'postgres')),
  fc.string({ maxLength: 40 }),
);

const anyValue = fc.oneof(
  nastyConstants,
  numbers,
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);

/** A token fenced by the markers, with whitespace and unicode around its middle. */
const token = fc
  .string({ unit: 'binary', maxLength: 20 })
  .map((middle) => `${SECRET_HEAD}${middle}${SECRET_TAIL}`);

/** Every variable optional; DATABASE_URL_FILE left out (it reads the file system: tested on its own below). */
const environments: fc.Arbitrary<Environment> = fc.record(
  {
    ...Object.fromEntries(
      NAMES.filter((name) => name !== 'DATABASE_URL_FILE').map((name) => [name, anyValue]),
    ),
    DATABASE_URL: databaseUrls,
    HEALTH_CHECK_TOKEN: token,
    NODE_ENV: fc.constantFrom('production', 'development', '', 'PRODUCTION'),
  },
  { requiredKeys: [] },
);

/** What `loadSettings` did with an environment: settings, or the error's lines. */
type Outcome = { settings: Settings } | { lines: string[]; problems: number };

function outcomeOf(env: Environment): Outcome {
  try {
    return { settings: loadSettings(env) };
  } catch (error) {
    if (!(error instanceof SettingsError))
      throw new Error(`loadSettings threw ${String(error)} instead of a SettingsError`);
    return { lines: error.message.split('\n'), problems: error.problems.length };
  }
}

/** Asserts the error lines obey the contract's promise for user errors. */
function expectCleanLines(lines: readonly string[], problems: number): void {
  expect(lines.length).toBe(problems);
  for (const line of lines) {
    expect(line).toMatch(LINE_START);
    expect(
      [...line].filter((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f),
    ).toEqual([]);
    expect(line).not.toContain(SECRET_HEAD);
    expect(line).not.toContain(SECRET_TAIL);
    expect(line).not.toMatch(/\n\s+at /);
  }
}

/** Integer variables and their bounds, from the contract's own schemas. */
const INTEGER_BOUNDS = new Map(
  ENVIRONMENT_VARIABLES.filter((variable) => variable.kind === 'integer').map((variable) => {
    const schema = variable.schema as { minimum: number; maximum: number };
    return [variable.name, schema] as const;
  }),
);

/** The settings field each integer variable lands in. */
const FIELD_OF: Record<string, keyof Settings> = {
  POOL_SIZE: 'poolSize',
  POOL_COUNT: 'poolCount',
  MAX_OVERFLOW: 'maxOverflow',
  POOL_TIMEOUT: 'poolTimeoutMillis',
  PORT: 'port',
  POOL_OVERFLOW_IDLE_MS: 'overflowIdleMillis',
  POOL_MAX_LIFETIME_MS: 'maxLifetimeMillis',
  POOL_IDLE_CHECK_MS: 'idleCheckMillis',
  POOL_CONNECT_TIMEOUT_MS: 'connectTimeoutMillis',
  POOL_LEAK_WARNING_MS: 'leakWarningMillis',
  READINESS_INTERVAL_MS: 'readinessIntervalMillis',
  READINESS_TIMEOUT_MS: 'readinessTimeoutMillis',
  SHUTDOWN_DELAY_MS: 'shutdownDelayMillis',
  SHUTDOWN_DRAIN_MS: 'shutdownDrainMillis',
};

/**
 * The contract in words: a decimal integer (optional minus sign) inside the schema's bounds, surrounding
 * whitespace ignored.
 */
function integerAccepted(raw: string, bounds: { minimum: number; maximum: number }): boolean {
  const text = raw.trim();
  if (!/^-?[0-9]+$/.test(text)) return false;
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= bounds.minimum && value <= bounds.maximum;
}

describe('loadSettings under hostile environments', () => {
  const directory = mkdtempSync(join(tmpdir(), 'clientats-hostile-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('covers every variable of the contract with a field mapping or a dedicated case', () => {
    const covered = new Set([
      ...Object.keys(FIELD_OF),
      'DATABASE_URL',
      'DATABASE_URL_FILE',
      'DATABASE_SSL',
      'DATABASE_SSL_CA',
      'DATABASE_POOLER',
      'HEALTH_CHECK_TOKEN',
      'LOG_LEVEL',
      'HOST',
    ]);
    expect(NAMES.filter((name) => !covered.has(name))).toEqual([]);
  });

  it('ends every environment in typed settings or one clean line per bad variable', () => {
    fc.assert(
      fc.property(environments, (env) => {
        const outcome = outcomeOf(env);
        if ('lines' in outcome) {
          expectCleanLines(outcome.lines, outcome.problems);
          return;
        }
        const { settings } = outcome;
        for (const [name, bounds] of INTEGER_BOUNDS) {
          const value = settings[FIELD_OF[name]!] as number;
          expect(Number.isSafeInteger(value)).toBe(true);
          expect(value).toBeGreaterThanOrEqual(bounds.minimum);
          expect(value).toBeLessThanOrEqual(bounds.maximum);
        }
        expect(SSL_MODES).toContain(settings.ssl);
        expect(LOG_LEVELS).toContain(settings.logLevel);
      }),
      { numRuns: RUNS },
    );
  });

  it(
    'accepts an integer variable exactly when it is a decimal integer within the schema bounds, ' +
      'and reads its value',
    () => {
      const integerNames = [...INTEGER_BOUNDS.keys()];
      fc.assert(
        fc.property(fc.constantFrom(...integerNames), fc.oneof(anyValue, numbers), (name, raw) => {
          const bounds = INTEGER_BOUNDS.get(name)!;
          const outcome = outcomeOf({ [name]: raw });
          if (integerAccepted(raw, bounds)) {
            expect(outcome).toHaveProperty('settings');
            if ('settings' in outcome) expect(outcome.settings[FIELD_OF[name]!]).toBe(Number(raw.trim()));
          } else {
            expect(outcome).toEqual({
              lines: [
                expect.stringMatching(
                  new RegExp(
                    `^${name} must be an integer from ${bounds.minimum} to ${bounds.maximum}, got "`,
                  ),
                ),
              ],
              problems: 1,
            });
          }
        }),
        { numRuns: RUNS },
      );
    },
  );

  it(
    'accepts DATABASE_SSL only as a boolean word or a libpq mode, any case, ' +
      'and fails otherwise naming the allowed values',
    () => {
      const booleans = new Map([
        ['true', 'verify-full'],
        ['1', 'verify-full'],
        ['false', 'disable'],
        ['0', 'disable'],
      ]);
      fc.assert(
        fc.property(fc.oneof(anyValue, fc.constantFrom(...SSL_MODES, 'True', ' 1 ', 'Verify-CA')), (raw) => {
          const lower = raw.trim().toLowerCase();
          const expected =
            booleans.get(lower) ?? (SSL_MODES as readonly string[]).find((mode) => mode === lower);
          const outcome = outcomeOf({ DATABASE_SSL: raw });
          if (expected !== undefined)
            expect(outcome).toEqual({ settings: expect.objectContaining({ ssl: expected }) });
          else
            expect(outcome).toEqual({
              lines: [
                expect.stringMatching(
                  /^DATABASE_SSL must be one of true, false, 1, 0, disable, require, verify-ca, verify-full, got "/,
                ),
              ],
              problems: 1,
            });
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('never shows a URL password, whatever characters it holds, in DATABASE_URL errors', () => {
    fc.assert(
      fc.property(databaseUrls, fc.constantFrom(undefined, 'production'), (url, nodeEnv) => {
        const outcome = outcomeOf({ DATABASE_URL: url, NODE_ENV: nodeEnv });
        if ('lines' in outcome) expectCleanLines(outcome.lines, outcome.problems);
        else expect(outcome.settings.databaseUrl).toBe(url.trim() === '' ? undefined : url.trim());
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('keeps HEALTH_CHECK_TOKEN out of every message, even when all other variables are bad', () => {
    const others = NAMES.filter(
      (name) =>
        !['HEALTH_CHECK_TOKEN', 'DATABASE_URL_FILE', 'DATABASE_URL', 'DATABASE_SSL_CA'].includes(name),
    );
    fc.assert(
      fc.property(token, (secret) => {
        const bad = Object.fromEntries(
          others.map((name) => [name, `${secret.slice(SECRET_HEAD.length, -SECRET_TAIL.length)}x`]),
        );
        const outcome = outcomeOf({ ...bad, HEALTH_CHECK_TOKEN: secret });
        expect(outcome).toHaveProperty('lines');
        if ('lines' in outcome) expectCleanLines(outcome.lines, outcome.problems);
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it('reads HEALTH_CHECK_TOKEN trimmed, as HTTP trims the header it is compared with, and blank as no token', () => {
    fc.assert(
      fc.property(fc.oneof(token, fc.constantFrom('', ' ', '\n', 'tok\n', ' tok ', '\ttok\r\n')), (raw) => {
        const trimmed = raw.trim();
        expect(loadSettings({ HEALTH_CHECK_TOKEN: raw }).healthCheckToken).toBe(
          trimmed === '' ? undefined : trimmed,
        );
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it('reads any DATABASE_URL_FILE content into a parsed URL or one clean DATABASE_URL_FILE line', () => {
    let index = 0;
    fc.assert(
      fc.property(databaseUrls, fc.constantFrom('', '\n', '\r\n', '\n\n'), (url, ending) => {
        const file = join(directory, `url-${index++}`);
        writeFileSync(file, `${url}${ending}`);
        const outcome = outcomeOf({ DATABASE_URL_FILE: file });
        if ('lines' in outcome) {
          expectCleanLines(outcome.lines, outcome.problems);
          expect(outcome.lines[0]).toMatch(/^DATABASE_URL_FILE /);
        } else {
          expect(outcome.settings.databaseUrl).toBe(url.trim());
        }
      }),
      { numRuns: RUNS / 2 },
    );
  });

  it('agrees with validateEnvironment on every environment without a file to read', () => {
    fc.assert(
      fc.property(environments, (env) => {
        const outcome = outcomeOf(env);
        const problems = validateEnvironment(env).map((problem) => problem.message);
        expect('lines' in outcome ? outcome.lines : []).toEqual(problems);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads any HOST into the trimmed address, unset when blank, or one clean HOST line', () => {
    fc.assert(
      fc.property(anyValue, (raw) => {
        const outcome = outcomeOf({ HOST: raw });
        if ('lines' in outcome) {
          expectCleanLines(outcome.lines, outcome.problems);
          expect(outcome.lines).toEqual([
            expect.stringMatching(/^HOST must be an IPv4 or IPv6 address or a host name, /),
          ]);
        } else {
          expect(outcome.settings.host).toBe(raw.trim() === '' ? undefined : raw.trim());
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('fails when DATABASE_URL_FILE names an endless device, instead of reading forever', () => {
    expect(outcomeOf({ DATABASE_URL_FILE: '/dev/zero' })).toEqual({
      lines: ['DATABASE_URL_FILE names a file larger than 65536 bytes, got "/dev/zero"'],
      problems: 1,
    });
  });

  it('fails when DATABASE_URL_FILE names a directory, with one line', () => {
    expect(outcomeOf({ DATABASE_URL_FILE: directory })).toEqual({
      lines: [`DATABASE_URL_FILE names a file that cannot be read (EISDIR), got "${directory}"`],
      problems: 1,
    });
  });
});
