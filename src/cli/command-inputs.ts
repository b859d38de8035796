/**
 * Turns `check` / `plan` options into budget inputs: the database target
 * (`--max-connections`, `--provider` or live `--database-url`) and the one
 * service described by flags.
 */
import { parseDatabaseUrl } from 'clientats-runtime/contract';
import type { DatabaseLimits, KubernetesConsumer, RolloutStrategy } from '../budget/budget-types.js';
import { DEFAULT_SUPERUSER_RESERVED } from '../budget/compute-budget.js';
import { liveLimits, readLiveDatabase, type LiveDatabaseOptions } from './live-database.js';
import type { PlannedService } from '../budget/plan-budget.js';
import { providerLimits } from '../budget/providers.js';
import {
  choiceOption,
  databaseUrlOption,
  integerOption,
  intOrPercentOption,
  poolOption,
  providerOption,
  SERVICE_OPTIONS,
  UsageError,
  type OptionName,
  type ParsedOptions,
} from './cli-options.js';

/** A database target and what the CLI learnt while resolving it. */
export interface ResolvedDatabase {
  readonly target: DatabaseLimits;
  readonly notes: readonly string[];
}

/** Hooks for tests (the `pg` client class, connect timeout). */
export type LiveOptions = LiveDatabaseOptions;

/** The database the options name, or `undefined` when none of the three is given. */
export async function databaseFromOptions(
  options: ParsedOptions,
  live: LiveOptions = {},
): Promise<ResolvedDatabase | undefined> {
  const given = (['max-connections', 'provider', 'database-url'] as const).filter(
    (name) => options.values[name] !== undefined,
  );
  if (given.length > 1) {
    throw new UsageError(
      '--max-connections, --provider and --database-url are alternatives: give one, ' +
        `got ${given.map((name) => `--${name}`).join(' and ')}`,
    );
  }
  const reservedOverride = integerOption(options, 'reserved');
  const headroom = integerOption(options, 'headroom') ?? 0;
  const name =
    options.values['database-name'] === undefined ? undefined : String(options.values['database-name']);
  const common = { ...(headroom > 0 ? { headroom } : {}) };
  const maxConnections = integerOption(options, 'max-connections', 1);
  if (maxConnections !== undefined) {
    return {
      target: {
        name: name ?? 'database',
        maxConnections,
        superuserReserved: reservedOverride ?? DEFAULT_SUPERUSER_RESERVED,
        ...common,
      },
      notes: [],
    };
  }
  const preset = providerOption(options);
  if (preset !== undefined) {
    const target = providerLimits(preset, name ?? preset.name);
    const notes = [
      `${preset.name}: max_connections ${preset.maxConnections} from ${preset.source}` +
        `${preset.note === undefined ? '' : ` (${preset.note})`}`,
      ...(preset.verify
        ? [`${preset.name} comes from a secondary source: confirm it with --database-url`]
        : []),
    ];
    return {
      target: {
        ...target,
        ...(reservedOverride === undefined ? {} : { superuserReserved: reservedOverride }),
        ...common,
      },
      notes,
    };
  }
  const url = databaseUrlOption(options);
  if (url !== undefined) {
    const facts = await readLiveDatabase(url, live).catch((error: Error) => {
      throw new UsageError(error.message, { cause: error });
    });
    const parsed = parseDatabaseUrl(url);
    const countConnected = options.values['ignore-connected'] !== true;
    const target = liveLimits(
      name ?? `${parsed.host}:${parsed.port}/${parsed.database ?? parsed.user ?? 'postgres'}`,
      facts,
      countConnected,
    );
    return {
      target: {
        ...target,
        ...(reservedOverride === undefined ? {} : { superuserReserved: reservedOverride }),
        ...common,
      },
      notes: [
        `live: PostgreSQL ${facts.serverVersion}, max_connections ${facts.maxConnections}, ` +
          `superuser_reserved_connections ${facts.superuserReserved}, ` +
          `reserved_connections ${facts.reserved}, rds reserved ${facts.rdsReserved}, ` +
          `${facts.clientBackends} other client backends connected now` +
          `${countConnected ? ' (counted; --ignore-connected if they are this service)' : ' (ignored)'}`,
      ],
    };
  }
  for (const option of ['reserved', 'headroom', 'database-name', 'ignore-connected'] as const) {
    if (options.values[option] !== undefined)
      throw new UsageError(
        `--${option} needs a database: give --max-connections, --provider or --database-url`,
      );
  }
  return undefined;
}

/** True when any service flag is given. */
export function hasServiceOptions(options: ParsedOptions): boolean {
  return SERVICE_OPTIONS.some((name) => options.values[name] !== undefined);
}

/** The one service the flags describe. */
export function serviceFromOptions(options: ParsedOptions, requireReplicas = true): PlannedService {
  const platform = choiceOption(
    options,
    'platform',
    ['kubernetes', 'compose', 'heroku'] as const,
    'kubernetes',
  );
  const pool = {
    poolSize: poolOption(options, 'pool-size'),
    poolCount: poolOption(options, 'pool-count'),
    maxOverflow: poolOption(options, 'max-overflow'),
  };
  const replicas = integerOption(options, 'replicas');
  const hpaMax = integerOption(options, 'hpa-max', 1);
  if (platform !== 'kubernetes') {
    const only: OptionName[] = ['max-surge', 'max-unavailable', 'strategy', 'hpa-max'];
    for (const option of only) {
      if (options.values[option] !== undefined)
        throw new UsageError(`--${option} applies to --platform kubernetes only, got --platform ${platform}`);
    }
  }
  if (platform !== 'heroku' && options.values.preboot !== undefined)
    throw new UsageError(`--preboot applies to --platform heroku only, got --platform ${platform}`);
  if (replicas === undefined && hpaMax === undefined && requireReplicas) {
    throw new UsageError(
      '--replicas is required to describe a service by flags: ' +
        `${platform === 'heroku' ? 'the web dynos' : 'the pod or container count'}, an integer >= 0`,
    );
  }
  const name = 'service';
  const source = 'flags';
  switch (platform) {
    case 'compose':
      return { kind: 'compose', name, source, replicas: replicas ?? 1, pool };
    case 'heroku':
      return {
        kind: 'heroku',
        name,
        source,
        dynos: replicas ?? 1,
        preboot: options.values.preboot === true,
        pool,
      };
    case 'kubernetes': {
      const consumer: KubernetesConsumer = {
        kind: 'kubernetes',
        name,
        source,
        replicas: replicas ?? hpaMax ?? 1,
        ...(hpaMax === undefined ? {} : { hpaMaxReplicas: hpaMax }),
        strategy: strategyFromOptions(options),
        pool,
      };
      return consumer;
    }
  }
}

function strategyFromOptions(options: ParsedOptions): RolloutStrategy {
  const type = choiceOption(options, 'strategy', ['RollingUpdate', 'Recreate'] as const, 'RollingUpdate');
  const maxSurge = intOrPercentOption(options, 'max-surge');
  const maxUnavailable = intOrPercentOption(options, 'max-unavailable');
  if (type === 'Recreate') {
    if (maxSurge !== undefined || maxUnavailable !== undefined) {
      throw new UsageError(
        '--max-surge and --max-unavailable apply to --strategy RollingUpdate, got --strategy Recreate',
      );
    }
    return { type };
  }
  if (maxSurge === 0 && maxUnavailable === 0) {
    throw new UsageError(
      '--max-surge and --max-unavailable cannot both be 0 (Kubernetes rejects it), got 0 and 0',
    );
  }
  return {
    type,
    ...(maxSurge === undefined ? {} : { maxSurge }),
    ...(maxUnavailable === undefined ? {} : { maxUnavailable }),
  };
}
