/**
 * `clientats-deploy check`: the budget of manifests (files or directories) or
 * of one service described by flags, against a database given by flags or, for
 * a synthesized `dist/`, the databases its `connection-budget.json` declares.
 * Exit 0 fits, 1 over budget (or a runtime check fails), 2 bad input.
 */
import type { BudgetMode, Consumer, DatabaseLimits, OtherClient } from '../budget/budget-types.js';
import { buildReport, type BudgetReport } from '../budget/budget-report.js';
import type { BudgetOptions, ConsumerBudget } from '../budget/compute-budget.js';
import {
  computeTieredBudget,
  tierConsumerName,
  type TieredDatabaseBudget as DatabaseBudget,
  type TierInput,
} from '../budget/pgbouncer-tier-budget.js';
import { checkRuntimeTiming } from '../budget/runtime-timing.js';
import { asInputError, InputError } from '../readers/manifest-input.js';
import { integerOption, modeOption, UsageError, type ParsedOptions } from './cli-options.js';
import {
  databaseFromOptions,
  hasServiceOptions,
  serviceFromOptions,
  type LiveOptions,
} from './command-inputs.js';
import { readInputs, relativePath, type Inputs } from './read-inputs.js';

/** The report and the consumers read from the files (with `locations` when asked), for annotations. */
export interface CheckResult {
  readonly report: BudgetReport;
  readonly consumers: readonly Consumer[];
}

/**
 * Builds the report of `options.positionals` (files) or of the service flags;
 * `locations` adds where each consumer's values sit in its file.
 */
export async function checkWithConsumers(
  options: ParsedOptions,
  live: LiveOptions = {},
  locations = false,
): Promise<CheckResult> {
  const mode = modeOption(options);
  const service = hasServiceOptions(options);
  if (service && options.positionals.length > 0) {
    throw new UsageError(
      'give files or service flags, not both: got ' +
        `${options.positionals.map((path) => JSON.stringify(path)).join(', ')} and service flags`,
    );
  }
  if (!service && options.positionals.length === 0) {
    throw new UsageError(
      'nothing to check: give files or directories (e.g. dist) ' +
        'or describe a service with --replicas, --pool-size, --pool-count, --max-overflow',
    );
  }
  if (service) {
    const consumer = serviceFromOptions(options);
    const database = await requireDatabase(options, live);
    return {
      report: buildReport(mode, [budgetOf([consumer], database.target, { mode })], [], database.notes),
      consumers: [],
    };
  }
  const nodes = integerOption(options, 'nodes', 1);
  const pgbouncerReplicas = integerOption(options, 'pgbouncer-replicas', 1);
  const pgbouncerMaxSurge = integerOption(options, 'pgbouncer-max-surge', 0);
  const pgbouncerUsers = integerOption(options, 'pgbouncer-users', 1);
  const inputs = await readInputs(options.positionals, {
    preboot: options.values.preboot === true,
    ...(nodes === undefined ? {} : { nodes }),
    ...(pgbouncerReplicas === undefined ? {} : { pgbouncerReplicas }),
    ...(pgbouncerMaxSurge === undefined ? {} : { pgbouncerMaxSurge }),
    ...(pgbouncerUsers === undefined ? {} : { pgbouncerUsers }),
    locations,
  });
  const tiers: TierInput[] = inputs.pgbouncers.map((tier) => ({
    name: tier.name,
    source: tier.source,
    artifact: tier.file,
    pools: tier.pools,
    fleet: tier.fleet,
  }));
  const read = inputs.files.flatMap((file) => file.consumers);
  const checks = inputs.timing.flatMap((facts) => checkRuntimeTiming(facts));
  const database = await databaseFromOptions(options, live);
  if (database !== undefined) {
    const consumers = inputs.files.flatMap((file) => file.consumers);
    if (consumers.length === 0)
      throw new InputError(
        `no database client found in ${options.positionals.join(', ')}: nothing to budget`,
      );
    const report = buildReport(mode, [budgetOf(consumers, database.target, { mode }, tiers)], checks, [
      ...database.notes,
      ...inputs.notes,
    ]);
    return { report, consumers: read };
  }
  if (inputs.budget === undefined || inputs.budgetDirectory === undefined) {
    throw new UsageError(
      'no database given: pass --max-connections N, --provider NAME or --database-url URL (or check ' +
        'a synthesized dist/ holding connection-budget.json)',
    );
  }
  const { databases, notes } = budgetFromReport(
    inputs,
    tiers,
    inputs.budget.report,
    inputs.budgetDirectory,
    mode,
  );
  return { report: buildReport(mode, databases, checks, [...notes, ...inputs.notes]), consumers: read };
}

/** The budget, with arithmetic errors (absurd counts from a file or flag) turned into bad input. */
function budgetOf(
  consumers: readonly Consumer[],
  limits: DatabaseLimits,
  options: BudgetOptions,
  tiers: readonly TierInput[] = [],
): DatabaseBudget {
  return asInputError(() => computeTieredBudget(consumers, tiers, limits, options));
}

async function requireDatabase(
  options: ParsedOptions,
  live: LiveOptions,
): Promise<NonNullable<Awaited<ReturnType<typeof databaseFromOptions>>>> {
  const database = await databaseFromOptions(options, live);
  if (database === undefined)
    throw new UsageError(
      'no database given: pass --max-connections N, --provider NAME or --database-url URL',
    );
  return database;
}

/** Sums the consumers read from the files against the databases a synthesized report declares. */
function budgetFromReport(
  inputs: Inputs,
  tiers: readonly TierInput[],
  report: BudgetReport,
  directory: string,
  mode: BudgetMode,
): { databases: DatabaseBudget[]; notes: string[] } {
  const declared = report.databases.map((database: DatabaseBudget) => ({
    ...database,
    // Consumers behind a bouncer are listed with their tier; matching looks at both.
    consumers: [...database.consumers, ...(database.pgbouncer ?? []).flatMap((tier) => tier.behind)],
  }));
  const assignedTiers = new Map<string, TierInput[]>(declared.map((database) => [database.database, []]));
  for (const tier of tiers) {
    const artifact = tier.artifact === undefined ? undefined : relativePath(directory, tier.artifact);
    const matches = declared.filter((database) =>
      (database.pgbouncer ?? []).some(
        (candidate) => candidate.name === tier.name && candidate.artifact === artifact,
      ),
    );
    if (matches.length !== 1) {
      throw new InputError(
        `${tier.source}: PgBouncer "${tier.name}" is not in ${directory}/connection-budget.json: ` +
          'pass --max-connections, --provider or --database-url to check it',
      );
    }
    assignedTiers.get(matches[0]!.database)!.push(tier);
  }
  const assigned = new Map<string, Consumer[]>(declared.map((database) => [database.database, []]));
  for (const file of inputs.files) {
    const artifact = relativePath(directory, file.file);
    for (const consumer of file.consumers) {
      const byArtifact = declared.filter((database) =>
        database.consumers.some((candidate) => candidate.artifact === artifact),
      );
      const byName = (candidates: readonly DatabaseBudget[]): DatabaseBudget[] =>
        candidates.filter((database) =>
          database.consumers.some(
            (candidate) => candidate.kind === consumer.kind && candidate.name === consumer.name,
          ),
        );
      const matches =
        byArtifact.length === 1 ? byArtifact : byName(byArtifact.length > 1 ? byArtifact : declared);
      if (matches.length !== 1) {
        const where = matches.length === 0 ? 'not in' : 'ambiguous in';
        throw new InputError(
          `${file.file}: ${consumer.kind} "${consumer.name}" is ${where} ${directory}` +
            '/connection-budget.json: pass --max-connections, --provider or --database-url to check it',
        );
      }
      assigned.get(matches[0].database)!.push(consumer);
    }
  }
  const notes: string[] = [];
  const databases = declared.map((database) => {
    const tierLines = new Set((database.pgbouncer ?? []).map((tier) => tierConsumerName(tier.name)));
    const others = database.consumers
      .filter((consumer) => consumer.kind === 'other' && !tierLines.has(consumer.name))
      .map(otherClientOf);
    const found = assigned.get(database.database)!;
    const missing = database.consumers.filter(
      (consumer) =>
        consumer.kind !== 'other' &&
        consumer.artifact !== undefined &&
        !inputs.files.some((file) => relativePath(directory, file.file) === consumer.artifact),
    );
    for (const consumer of missing)
      notes.push(
        `${database.database}: ${consumer.name} (${consumer.artifact}) is declared but its file was not checked`,
      );
    return budgetOf(
      [...found, ...others],
      limitsOf(database),
      { mode },
      assignedTiers.get(database.database),
    );
  });
  return { databases, notes };
}

function limitsOf(database: DatabaseBudget): DatabaseLimits {
  return {
    name: database.database,
    maxConnections: database.maxConnections,
    superuserReserved: database.superuserReserved,
    reserved: database.reserved,
    providerReserved: database.providerReserved,
    headroom: database.headroom,
    alreadyConnected: database.alreadyConnected,
    ...(database.provider === undefined ? {} : { provider: database.provider }),
  };
}

function otherClientOf(consumer: ConsumerBudget): OtherClient {
  const description = /^\d+ \((.*)\)$/.exec(consumer.arithmetic.steady)?.[1];
  return {
    kind: 'other',
    name: consumer.name,
    connections: consumer.connections.steady,
    ...(consumer.source === undefined ? {} : { source: consumer.source }),
    ...(description === undefined ? {} : { description }),
  };
}
