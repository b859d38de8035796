/**
 * Managed PostgreSQL providers' default `max_connections` as data, with where
 * each figure comes from (its `source`). Figures marked `verify` come
 * from secondary sources: confirm them live with `--database-url`.
 *
 * Names are `provider:tier`, lower case (`aws-aurora:db.r6g.large`,
 * `heroku:standard-0`); two families are computed from memory:
 * `aws-rds:<N>gib` (`LEAST(DBInstanceClassMemory/9531392, 5000)`) and
 * `digitalocean:<N>gib` (about 25 per GiB).
 */
import type { DatabaseLimits, ProviderFacts } from './budget-types.js';

/** One preset: the figures a `DatabaseLimits` needs and where they come from. */
export interface ProviderPreset extends ProviderFacts {
  readonly maxConnections: number;
  readonly superuserReserved: number;
  readonly providerReserved: number;
  /** Caveat shown in the report. */
  readonly note?: string;
}

interface Family {
  readonly prefix: string;
  readonly source: string;
  readonly superuserReserved: number;
  readonly providerReserved: number;
  readonly verify: boolean;
  readonly note?: string;
  readonly tiers: Readonly<Record<string, number>>;
  /** Tiers whose figure is secondary even when the family's is not. */
  readonly verifyTiers?: readonly string[];
}

const FAMILIES: readonly Family[] = [
  {
    prefix: 'postgres',
    source:
      'PostgreSQL documentation, 20.3 Connections and Authentication ' +
      '(https://www.postgresql.org/docs/current/runtime-config-connection.html)',
    superuserReserved: 3,
    providerReserved: 0,
    verify: false,
    note: 'server defaults; initdb may pick fewer connections on small machines',
    tiers: { default: 100 },
  },
  {
    prefix: 'aws-aurora',
    source:
      'Amazon Aurora User Guide, Maximum connections to an Aurora PostgreSQL DB instance ' +
      '(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Managing.html)',
    superuserReserved: 3,
    providerReserved: 2,
    verify: false,
    note: '3 superuser + 2 rds.rds_superuser_reserved_connections',
    tiers: {
      'db.t3.medium': 420,
      'db.t4g.medium': 405,
      'db.t3.large': 844,
      'db.t4g.large': 844,
      'db.r5.large': 1600,
      'db.r6g.large': 1722,
      'db.r5.xlarge': 3300,
      'db.r6g.xlarge': 3479,
      'db.r5.2xlarge': 5000,
      'db.r6g.2xlarge': 5000,
    },
  },
  {
    prefix: 'azure',
    source:
      'Azure Database for PostgreSQL flexible server, Limits ' +
      '(https://learn.microsoft.com/en-us/azure/postgresql/flexible-server/concepts-limits)',
    superuserReserved: 0,
    providerReserved: 15,
    verify: false,
    note: '15 connections reserved in total by the service (B1ms: 35 usable)',
    tiers: {
      b1ms: 50,
      b2s: 429,
      b2ms: 859,
      d2: 859,
      b4ms: 1718,
      d4: 1718,
      e2: 1718,
      b8ms: 3437,
      d8: 3437,
      e4: 3437,
      d16: 5000,
      e8: 5000,
    },
  },
  {
    prefix: 'cloud-sql',
    source:
      'Google Cloud SQL for PostgreSQL, Quotas and limits: ' +
      'maximum concurrent connections (https://cloud.google.com/sql/docs/postgres/quotas)',
    superuserReserved: 3,
    providerReserved: 0,
    verify: false,
    note: 'fixed when the instance is created',
    tiers: {
      'db-f1-micro': 25,
      'db-g1-small': 50,
      '3.75gb-6gb': 100,
      '6gb-15gb': 400,
      '15gb-30gb': 500,
      '30gb-60gb': 1000,
      '60gb-120gb': 2000,
      '120gb-up': 4000,
    },
    verifyTiers: ['6gb-15gb', '15gb-30gb', '30gb-60gb', '60gb-120gb', '120gb-up'],
  },
  {
    prefix: 'heroku',
    source:
      'Heroku Dev Center, Heroku Postgres plans (https://devcenter.heroku.com/articles/heroku-postgres-plans)',
    superuserReserved: 3,
    providerReserved: 0,
    verify: true,
    note: 'classic plans; not configurable; every plan from -3 up has 500',
    tiers: {
      'essential-0': 20,
      'essential-1': 20,
      'essential-2': 40,
      'standard-0': 120,
      'premium-0': 120,
      'standard-2': 400,
      'premium-2': 400,
      'standard-3': 500,
      'premium-3': 500,
    },
  },
  {
    prefix: 'heroku-advanced',
    source:
      'Heroku Dev Center, Heroku Postgres Advanced plans (https://devcenter.heroku.com/articles/heroku-postgres-plans)',
    superuserReserved: 3,
    providerReserved: 0,
    verify: false,
    tiers: { '4g': 380, '8g': 800, '16g': 1600, '32g': 3200, '64g': 5000 },
  },
  {
    prefix: 'supabase',
    source:
      'Supabase docs, Compute and disk: compute sizes (https://supabase.com/docs/guides/platform/compute-and-disk)',
    superuserReserved: 3,
    providerReserved: 0,
    verify: false,
    note: 'server connections of the Supavisor/PgBouncer pooler count too: declare them as other clients',
    tiers: {
      nano: 60,
      micro: 60,
      small: 90,
      medium: 120,
      large: 160,
      xl: 240,
      '2xl': 380,
      '4xl': 480,
      '8xl': 490,
      '12xl': 500,
      '16xl': 500,
    },
  },
  {
    prefix: 'neon',
    source:
      'Neon docs, Connection pooling: max_connections by compute size ' +
      '(https://neon.com/docs/connect/connection-pooling)',
    superuserReserved: 0,
    providerReserved: 7,
    verify: false,
    note: '7 connections reserved for the Neon superuser',
    tiers: { '0.25cu': 104, '0.5cu': 209, '1cu': 419, '2cu': 839, '4cu': 1678, '8cu': 3357, '9cu': 4000 },
  },
];

const AWS_RDS = {
  prefix: 'aws-rds',
  source:
    'Amazon RDS User Guide, Maximum number of database connections: ' +
    'LEAST({DBInstanceClassMemory/9531392}, 5000) ' +
    '(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.' +
    'MaxConnections)',
  note: 'computed from nominal memory; DBInstanceClassMemory is somewhat lower, so the real limit is lower: verify',
};
const DIGITALOCEAN = {
  prefix: 'digitalocean',
  source:
    'DigitalOcean docs, PostgreSQL limits ' +
    '(https://docs.digitalocean.com/products/databases/postgresql/details/limits/)',
  note: 'about 25 connections per GiB of RAM, 3 reserved',
};

/** `LEAST(memoryBytes / 9531392, 5000)`: the RDS / Aurora PostgreSQL default formula. */
export function awsMaxConnections(memoryBytes: number): number {
  return Math.min(Math.floor(memoryBytes / 9_531_392), 5000);
}

/** Every preset with a fixed name, in listing order (memory families shown as examples). */
export function listProviders(): ProviderPreset[] {
  const fixed = FAMILIES.flatMap((family) =>
    Object.keys(family.tiers).map((tier) => findFixed(`${family.prefix}:${tier}`)!),
  );
  return [...fixed, findProvider('aws-rds:4gib')!, findProvider('digitalocean:1gib')!];
}

/** The patterns accepted besides the fixed names, for help and errors. */
export const PROVIDER_PATTERNS = ['aws-rds:<N>gib', 'digitalocean:<N>gib'] as const;

/** Looks a preset up by name (case-insensitive); `undefined` when unknown. */
export function findProvider(name: string): ProviderPreset | undefined {
  const key = name.trim().toLowerCase();
  const memory = /^(aws-rds|digitalocean):(\d+(?:\.\d+)?)gib$/.exec(key);
  if (memory !== null) {
    const gib = Number(memory[2]);
    if (!(gib > 0)) return undefined;
    const canonical = `${memory[1]}:${memory[2]}gib`;
    if (memory[1] === 'aws-rds') {
      return {
        name: canonical,
        maxConnections: awsMaxConnections(gib * 1024 ** 3),
        superuserReserved: 3,
        providerReserved: 2,
        verify: true,
        source: AWS_RDS.source,
        note: AWS_RDS.note,
      };
    }
    return {
      name: canonical,
      maxConnections: Math.floor(25 * gib),
      superuserReserved: 3,
      providerReserved: 0,
      verify: true,
      source: DIGITALOCEAN.source,
      note: DIGITALOCEAN.note,
    };
  }
  return findFixed(key);
}

function findFixed(key: string): ProviderPreset | undefined {
  const separator = key.lastIndexOf(':');
  const prefix = key.slice(0, separator);
  const tier = key.slice(separator + 1);
  const family = FAMILIES.find((candidate) => candidate.prefix === prefix);
  const maxConnections = family?.tiers[tier];
  if (family === undefined || maxConnections === undefined) return undefined;
  return {
    name: `${family.prefix}:${tier}`,
    maxConnections,
    superuserReserved: family.superuserReserved,
    providerReserved: family.providerReserved,
    verify: family.verify || (family.verifyTiers ?? []).includes(tier),
    source: family.source,
    ...(family.note === undefined ? {} : { note: family.note }),
  };
}

/** Budget limits from a preset; `headroom` and a display name may be added. */
export function providerLimits(preset: ProviderPreset, name: string = preset.name): DatabaseLimits {
  return {
    name,
    maxConnections: preset.maxConnections,
    superuserReserved: preset.superuserReserved,
    providerReserved: preset.providerReserved,
    provider: { name: preset.name, source: preset.source, verify: preset.verify },
  };
}
