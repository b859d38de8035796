/**
 * What a change does to the budget: two reports (the base branch's and the
 * head's) compared per database and per consumer — steady, rollout and strict
 * totals, spare connections, the verdict — as data (`diffReports`), text lines
 * and a Markdown table for a pull request's step summary. Pure: no I/O.
 */
import type { BudgetMode } from './budget-types.js';
import type { BudgetReport } from './budget-report.js';
import type { ConsumerBudget, DatabaseBudget, Figures } from './compute-budget.js';

/** How an entry changed between the base and the head. */
export type ChangeStatus = 'added' | 'removed' | 'changed' | 'unchanged';

/** A consumer on both sides (or one). */
export interface ConsumerChange {
  readonly name: string;
  readonly kind: ConsumerBudget['kind'];
  readonly source?: string;
  readonly status: ChangeStatus;
  readonly before?: Figures;
  readonly after?: Figures;
  /** Connections per instance (pool + probe) on each side; a change here means POOL_* changed. */
  readonly perInstance: { readonly before?: number; readonly after?: number };
  /** Instances in the enforced case on each side; a change here means replicas, HPA max or surge changed. */
  readonly instances: { readonly before?: number; readonly after?: number };
}

/** One side of a database. */
export interface DatabaseSide {
  readonly totals: Figures;
  readonly usable: number;
  readonly spare: number;
  readonly fits: boolean;
}

/** A database on both sides (or one). */
export interface DatabaseChange {
  readonly database: string;
  readonly status: ChangeStatus;
  readonly before?: DatabaseSide;
  readonly after?: DatabaseSide;
  /** `now OVER BUDGET`, `now fits`, `still fits`, `still OVER BUDGET`, `fits`, `OVER BUDGET` (added), `removed`. */
  readonly verdict: string;
  readonly consumers: readonly ConsumerChange[];
}

/** The structured diff (`check --baseline … --json` prints it under `diff`). */
export interface BudgetDiff {
  /** The enforced case both sides were computed for. */
  readonly mode: BudgetMode;
  readonly databases: readonly DatabaseChange[];
  /** The head breaks a budget the base kept. */
  readonly regressed: boolean;
}

const MODES: readonly BudgetMode[] = ['steady', 'rollout', 'strict'];

/** Compares the base branch's report with the head's. */
export function diffReports(before: BudgetReport, after: BudgetReport): BudgetDiff {
  const names = [...new Set([...after.databases, ...before.databases].map((database) => database.database))];
  const databases = names.map((name) => {
    const old = before.databases.find((database) => database.database === name);
    const now = after.databases.find((database) => database.database === name);
    return databaseChange(name, old, now);
  });
  const regressed = databases.some(
    (database) =>
      database.after !== undefined &&
      !database.after.fits &&
      (database.before === undefined || database.before.fits || database.after.spare < database.before.spare),
  );
  return { mode: after.mode, databases, regressed };
}

function databaseChange(
  name: string,
  old: DatabaseBudget | undefined,
  now: DatabaseBudget | undefined,
): DatabaseChange {
  const side = (database: DatabaseBudget | undefined): DatabaseSide | undefined =>
    database === undefined
      ? undefined
      : { totals: database.totals, usable: database.usable, spare: database.spare, fits: database.fits };
  const consumers = consumerChanges(old?.consumers ?? [], now?.consumers ?? [], (now ?? old)!.mode);
  const before = side(old);
  const after = side(now);
  const status: ChangeStatus =
    before === undefined
      ? 'added'
      : after === undefined
        ? 'removed'
        : consumers.every((consumer) => consumer.status === 'unchanged') &&
            before.usable === after.usable &&
            MODES.every((mode) => before.totals[mode] === after.totals[mode])
          ? 'unchanged'
          : 'changed';
  return {
    database: name,
    status,
    verdict: verdictOf(before, after),
    consumers,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  };
}

function verdictOf(before: DatabaseSide | undefined, after: DatabaseSide | undefined): string {
  if (after === undefined) return 'removed';
  if (before === undefined) return after.fits ? 'fits' : 'OVER BUDGET';
  if (before.fits) return after.fits ? 'still fits' : 'now OVER BUDGET';
  return after.fits ? 'now fits' : 'still OVER BUDGET';
}

/** Pairs consumers by kind and name (in order, when a name repeats). */
function consumerChanges(
  before: readonly ConsumerBudget[],
  after: readonly ConsumerBudget[],
  mode: BudgetMode,
): ConsumerChange[] {
  const remaining = [...before];
  const changes: ConsumerChange[] = after.map((now) => {
    const index = remaining.findIndex((old) => old.kind === now.kind && old.name === now.name);
    const old = index < 0 ? undefined : remaining.splice(index, 1)[0];
    return consumerChange(old, now, mode);
  });
  return [...changes, ...remaining.map((old) => consumerChange(old, undefined, mode))];
}

function consumerChange(
  old: ConsumerBudget | undefined,
  now: ConsumerBudget | undefined,
  mode: BudgetMode,
): ConsumerChange {
  const either = (now ?? old)!;
  const same =
    old !== undefined &&
    now !== undefined &&
    old.perInstance === now.perInstance &&
    MODES.every(
      (case_) =>
        old.connections[case_] === now.connections[case_] && old.instances[case_] === now.instances[case_],
    );
  return {
    name: either.name,
    kind: either.kind,
    ...(either.source === undefined ? {} : { source: either.source }),
    status: old === undefined ? 'added' : now === undefined ? 'removed' : same ? 'unchanged' : 'changed',
    ...(old === undefined ? {} : { before: old.connections }),
    ...(now === undefined ? {} : { after: now.connections }),
    perInstance: {
      ...(old === undefined ? {} : { before: old.perInstance }),
      ...(now === undefined ? {} : { after: now.perInstance }),
    },
    instances: {
      ...(old === undefined ? {} : { before: old.instances[mode] }),
      ...(now === undefined ? {} : { after: now.instances[mode] }),
    },
  };
}

/** A signed count with a real minus sign: `+27`, `−11`, `±0`. */
function signed(value: number): string {
  return value > 0 ? `+${value}` : value < 0 ? `−${-value}` : '±0';
}

/** A count with a real minus sign: `16`, `−11`. */
function count(value: number): string {
  return value < 0 ? `−${-value}` : String(value);
}

/** `81 → 108 (+27)`, `81` when unchanged, `— → 12` / `12 → —` for an added / removed entry. */
function change(before: number | undefined, after: number | undefined): string {
  if (before === undefined) return after === undefined ? '—' : `— → ${count(after)}`;
  if (after === undefined) return `${count(before)} → —`;
  return before === after ? count(after) : `${count(before)} → ${count(after)} (${signed(after - before)})`;
}

/**
 * One line per changed database, then one per changed, added or removed
 * consumer: `clientats-db rollout 81 → 108 (+27), spare 16 → −11: now OVER BUDGET`.
 */
export function diffLines(diff: BudgetDiff): string[] {
  const lines: string[] = [];
  for (const database of diff.databases) {
    lines.push(databaseLine(database, diff.mode));
    for (const consumer of database.consumers) {
      if (consumer.status === 'unchanged') continue;
      lines.push(`  ${consumerLine(consumer)}`);
    }
  }
  return lines;
}

/** `clientats-db rollout 81 → 108 (+27), spare 16 → −11: now OVER BUDGET`. */
export function databaseLine(database: DatabaseChange, mode: BudgetMode): string {
  const { before, after } = database;
  if (after === undefined)
    return `${database.database} removed (was ${mode} ${before!.totals[mode]}, spare ${count(before!.spare)})`;
  if (before === undefined)
    return (
      `${database.database} added: ${mode} ${after.totals[mode]}, spare ${count(after.spare)}: ` +
      `${database.verdict}`
    );
  const spare =
    before.spare === after.spare ? count(after.spare) : `${count(before.spare)} → ${count(after.spare)}`;
  return (
    `${database.database} ${mode} ${change(before.totals[mode], after.totals[mode])}, spare ${spare}: ` +
    `${database.verdict}`
  );
}

/** `clientats (kubernetes) changed: steady 81 → 108 (+27), rollout …, strict …`. */
function consumerLine(consumer: ConsumerChange): string {
  const figures = MODES.map(
    (mode) => `${mode} ${change(consumer.before?.[mode], consumer.after?.[mode])}`,
  ).join(', ');
  return `${consumer.name} (${consumer.kind}) ${consumer.status}: ${figures}`;
}

/** The Markdown table a reviewer reads in the step summary (every database, its changed consumers). */
export function formatDiffMarkdown(diff: BudgetDiff): string {
  const lines = ['## Connection budget: this change', ''];
  lines.push(
    `Base branch → this branch; the enforced case is **${diff.mode}**. Unchanged consumers are left out.`,
    '',
  );
  lines.push('| database | consumer | steady | rollout | strict | spare | verdict |');
  lines.push('|---|---|--:|--:|--:|--:|---|');
  for (const database of diff.databases) {
    const total = (mode: BudgetMode): string =>
      change(database.before?.totals[mode], database.after?.totals[mode]);
    const icon = database.after === undefined ? '➖' : database.after.fits ? '✅' : '❌';
    lines.push(
      `| ${escape(database.database)} | **total** | ${total('steady')} | ${total('rollout')} | ${total('strict')}` +
        ` | ${change(database.before?.spare, database.after?.spare)} | ${icon} ${database.verdict} |`,
    );
    for (const consumer of database.consumers) {
      if (consumer.status === 'unchanged') continue;
      const cell = (mode: BudgetMode): string => change(consumer.before?.[mode], consumer.after?.[mode]);
      lines.push(
        `| | ${escape(consumer.name)} (${consumer.kind}) | ${cell('steady')} | ${cell('rollout')} | ` +
          `${cell('strict')} | | ${consumer.status} |`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|');
}
