/**
 * `check --format github`: the budget as GitHub Actions workflow commands
 * (`::error file=…,line=…,title=…::message`), one per problem, at the line of
 * the value a reviewer would change — the replicas, the HPA `maxReplicas`, the
 * POOL_* env entry — plus a `::notice` per database and a `::warning` per note.
 * Pure: the caller supplies where each consumer's values sit.
 */
import type { SourceLine, SourceLocations } from '../budget/budget-types.js';
import { overBy, type BudgetReport } from '../budget/budget-report.js';
import { databaseLine, type BudgetDiff, type ConsumerChange } from '../budget/budget-diff.js';
import type { ConsumerBudget, DatabaseBudget } from '../budget/compute-budget.js';

/** One workflow command. */
export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice';
  readonly title: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
}

/** Where a consumer of the report sits, or `undefined` (flags, a declared other client). */
export type LocateConsumer = (consumer: ConsumerBudget) => SourceLocations | undefined;

/** Escapes a workflow command's message (`%`, CR, LF). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a workflow command's property value (`%`, CR, LF, `:` and `,`). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::error file=k8s.yaml,line=12,title=…::message`. */
export function workflowCommand(annotation: Annotation): string {
  const properties = [
    ...(annotation.file === undefined ? [] : [`file=${escapeProperty(annotation.file)}`]),
    ...(annotation.line === undefined ? [] : [`line=${annotation.line}`]),
    `title=${escapeProperty(annotation.title)}`,
  ];
  return `::${annotation.level} ${properties.join(',')}::${escapeData(annotation.message)}`;
}

/** Every problem of the report (and what the change did, with a baseline) as annotations. */
export function budgetAnnotations(
  report: BudgetReport,
  locate: LocateConsumer,
  diff?: BudgetDiff,
): Annotation[] {
  const annotations: Annotation[] = [];
  for (const database of report.databases) {
    const change = diff?.databases.find((entry) => entry.database === database.database);
    const summary = change === undefined ? fitsText(database) : databaseLine(change, diff!.mode);
    if (database.fits) {
      annotations.push({
        level: 'notice',
        title: `connection budget: ${database.database}`,
        message: summary,
      });
      continue;
    }
    annotations.push(...overBudget(database, locate, summary, change?.consumers));
  }
  for (const entry of diff?.databases ?? []) {
    if (entry.after === undefined) {
      annotations.push({
        level: 'notice',
        title: `connection budget: ${entry.database}`,
        message: databaseLine(entry, diff!.mode),
      });
    }
  }
  for (const check of report.runtimeChecks) {
    if (check.ok) continue;
    const consumer = report.databases
      .flatMap((database) => database.consumers)
      .find((candidate) => candidate.name === check.name && candidate.source === check.source);
    const at = consumer === undefined ? fileOnly(check.source) : pointOf(locate(consumer)?.object);
    annotations.push({
      level: 'error',
      title: `runtime check: ${check.check}`,
      message: `${check.name}: ${check.message}`,
      ...at,
    });
  }
  for (const note of report.notes) {
    annotations.push({
      level: 'warning',
      title: 'connection budget note',
      message: note,
      ...fileOnly(/^([^\s:]+\.(?:ya?ml|json)(?:#\d+)?):\s/.exec(note)?.[1]),
    });
  }
  return annotations;
}

/**
 * One error per consumer that carries the excess: with a baseline, those the
 * change added or grew (else all of them); each at the value that drives it.
 */
function overBudget(
  database: DatabaseBudget,
  locate: LocateConsumer,
  summary: string,
  changes: readonly ConsumerChange[] | undefined,
): Annotation[] {
  const mode = database.mode;
  const counted = database.consumers.filter((consumer) => consumer.connections[mode] > 0);
  const grew = (consumer: ConsumerBudget): ConsumerChange | undefined =>
    changes?.find(
      (entry) =>
        entry.kind === consumer.kind &&
        entry.name === consumer.name &&
        (entry.status === 'added' ||
          (entry.status === 'changed' && (entry.after?.[mode] ?? 0) > (entry.before?.[mode] ?? 0))),
    );
  const blamed =
    changes !== undefined && counted.some((consumer) => grew(consumer) !== undefined)
      ? counted.filter((consumer) => grew(consumer) !== undefined)
      : counted;
  const title = `connection budget: ${database.database} over${overBy(database)}`;
  const verdict = `${database.database} is OVER BUDGET${overBy(database)}: ${database.violation ?? ''}`;
  const annotations = blamed.map((consumer): Annotation => {
    const share =
      `${consumer.name} holds ${consumer.connections[mode]} of ${database.totals[mode]} ${mode} connections` +
      ` (${consumer.arithmetic[mode]})`;
    return {
      level: 'error',
      title,
      message: `${summary}. ${share}. ${verdict}`,
      ...pointOf(drivingLine(consumer, locate(consumer), grew(consumer))),
    };
  });
  return annotations.length > 0
    ? annotations
    : [{ level: 'error', title, message: `${summary}. ${verdict}` }];
}

/**
 * The line of the value that sizes the consumer: its pool env entry when the
 * change grew connections per instance only, its maxSurge when only the
 * rollout grew, else the HPA maximum, the replica
 * count, the object.
 */
function drivingLine(
  consumer: ConsumerBudget,
  locations: SourceLocations | undefined,
  change: ConsumerChange | undefined,
): SourceLine | undefined {
  if (locations === undefined) return undefined;
  const poolChanged =
    change?.status === 'changed' &&
    change.perInstance.before !== change.perInstance.after &&
    change.instances.before === change.instances.after;
  const pool = locations.POOL_SIZE ?? locations.POOL_COUNT ?? locations.MAX_OVERFLOW;
  if (poolChanged && pool !== undefined) return pool;
  const surgeChanged =
    change?.status === 'changed' &&
    change.before?.steady === change.after?.steady &&
    change.perInstance.before === change.perInstance.after;
  if (surgeChanged && locations.maxSurge !== undefined) return locations.maxSurge;
  const scaled = consumer.kind === 'kubernetes' ? locations.hpaMax : undefined;
  return scaled ?? locations.replicas ?? locations.object ?? pool;
}

function pointOf(line: SourceLine | undefined): { file?: string; line?: number } {
  return line === undefined ? {} : { file: line.file, line: line.line };
}

function fileOnly(source: string | undefined): { file?: string } {
  const file = source?.replace(/#\d+$/, '');
  return file === undefined || file === '-' || file === 'flags' ? {} : { file };
}

function fitsText(database: DatabaseBudget): string {
  return (
    `${database.database} fits: ${database.mode} ${database.totals[database.mode]} ≤ ${database.usable}` +
    ` usable, ${database.spare} spare`
  );
}
