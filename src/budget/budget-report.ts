/**
 * The budget report: every database's budget plus the cross-artifact runtime
 * checks, rendered as a text table (terminal), Markdown (CI job summary,
 * `dist/connection-budget.md`) or JSON (`dist/connection-budget.json`).
 * Deterministic: no timestamps, stable order.
 */
import type { BudgetMode } from './budget-types.js';
import { pgbouncerBudgetLines, pgbouncerBudgetText } from './pgbouncer-report.js';
import type { PgbouncerTierBudget, TieredDatabaseBudget as DatabaseBudget } from './pgbouncer-tier-budget.js';
import type { RuntimeCheck } from './runtime-timing.js';

/** Everything one check or synth found. */
export interface BudgetReport {
  /** The enforced case. */
  readonly mode: BudgetMode;
  /** Every database fits and every runtime check passes. */
  readonly fits: boolean;
  readonly databases: readonly DatabaseBudget[];
  readonly runtimeChecks: readonly RuntimeCheck[];
  /** Inputs skipped on purpose, for the reader. */
  readonly notes: readonly string[];
}

/** Assembles a report; `fits` is derived. */
export function buildReport(
  mode: BudgetMode,
  databases: readonly DatabaseBudget[],
  runtimeChecks: readonly RuntimeCheck[],
  notes: readonly string[] = [],
): BudgetReport {
  return {
    mode,
    fits: databases.every((database) => database.fits) && runtimeChecks.every((check) => check.ok),
    databases,
    runtimeChecks,
    notes,
  };
}

const HEADERS = ['consumer', 'kind', 'per instance', 'steady', 'rollout', 'strict'];

/** A readable table per database, then the verdict and the runtime checks. */
export function formatText(report: BudgetReport): string {
  const lines: string[] = [];
  for (const database of report.databases) {
    lines.push(
      `[${database.database}] ${database.usableArithmetic} = ${database.usable} usable${providerText(database)}`,
    );
    const rows = [
      HEADERS,
      ...database.consumers.map((consumer) => [
        consumer.name,
        consumer.kind,
        consumer.kind === 'other' ? '' : String(consumer.perInstance),
        String(consumer.connections.steady),
        String(consumer.connections.rollout),
        String(consumer.connections.strict),
      ]),
      [
        'total',
        '',
        '',
        String(database.totals.steady),
        String(database.totals.rollout),
        String(database.totals.strict),
      ],
    ];
    const widths = HEADERS.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    for (const row of rows) {
      lines.push(
        `  ${row
          .map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
          .join('  ')}`.trimEnd(),
      );
    }
    for (const line of breakdown(database)) lines.push(`  ${line}`);
    for (const tier of database.pgbouncer ?? []) {
      lines.push(...pgbouncerBudgetText(tier.name, tier.budget).map((line) => `  ${line}`));
      for (const line of behindLines(tier, database.mode)) lines.push(`    ${line}`);
    }
    lines.push(`  ${verdict(database)}`);
    lines.push('');
  }
  if (report.runtimeChecks.length > 0) {
    lines.push('runtime checks');
    for (const check of report.runtimeChecks)
      lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${checkLabel(check)}: ${check.message}`);
    lines.push('');
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push(`result: ${resultText(report)}`);
  return `${lines.join('\n')}\n`;
}

/** Options of `formatMarkdown`. */
export interface MarkdownOptions {
  /** Markdown placed under each database's heading, e.g. a Mermaid chart of its budget. @default none */
  readonly chart?: (database: DatabaseBudget) => string;
}

/** Markdown for a CI job summary or `dist/connection-budget.md`. */
export function formatMarkdown(report: BudgetReport, options: MarkdownOptions = {}): string {
  const lines: string[] = ['# Connection budget', ''];
  lines.push(
    `Enforced case: **${report.mode}** (steady = no deploy running; ` +
      'rollout = surge pods / preboot dynos added; strict = terminating pods still connected). ' +
      'Every figure includes one readiness connection per instance: ' +
      `\`per_instance = POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + probe\`.`,
  );
  lines.push('');
  for (const database of report.databases) {
    lines.push(`## ${database.database}`, '');
    if (options.chart !== undefined) lines.push(options.chart(database));
    lines.push(`${database.usableArithmetic} = **${database.usable} usable**${providerText(database)}`, '');
    lines.push('| consumer | kind | per instance | steady | rollout | strict |');
    lines.push('|---|---|--:|--:|--:|--:|');
    for (const consumer of database.consumers) {
      lines.push(
        `| ${escape(consumer.name)} | ${consumer.kind} | ` +
          `${consumer.kind === 'other' ? '' : consumer.perInstance} | ${consumer.connections.steady} | ` +
          `${consumer.connections.rollout} | ${consumer.connections.strict} |`,
      );
    }
    lines.push(
      `| **total** | | | ${database.totals.steady} | ${database.totals.rollout} | ${database.totals.strict} |`,
      '',
    );
    for (const line of breakdown(database)) lines.push(`- ${escape(line)}`);
    lines.push('');
    for (const tier of database.pgbouncer ?? []) {
      lines.push(...pgbouncerBudgetLines(tier.name, tier.budget), '');
      for (const line of behindLines(tier, database.mode)) lines.push(`- ${escape(line)}`);
      lines.push('');
    }
    lines.push(database.fits ? `✅ ${verdict(database)}` : `❌ ${verdict(database)}`, '');
  }
  if (report.runtimeChecks.length > 0) {
    lines.push('## Runtime checks', '');
    for (const check of report.runtimeChecks)
      lines.push(`- ${check.ok ? '✅' : '❌'} ${escape(checkLabel(check))}: ${escape(check.message)}`);
    lines.push('');
  }
  if (report.notes.length > 0) {
    lines.push('## Notes', '');
    for (const note of report.notes) lines.push(`- ${escape(note)}`);
    lines.push('');
  }
  lines.push(`**Result: ${resultText(report)}.**`, '');
  return lines.join('\n');
}

/** Stable JSON (2-space indent, trailing newline). */
export function formatJson(report: BudgetReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * What failed, in words: `fits`, `fits, but 1 runtime check failed`,
 * `OVER BUDGET (1 database over budget, 2 runtime checks failed)`.
 */
export function resultText(report: BudgetReport): string {
  if (report.fits) return 'fits';
  const over = report.databases.filter((database) => !database.fits).length;
  const failed = report.runtimeChecks.filter((check) => !check.ok).length;
  const checks = `${failed} runtime check${failed === 1 ? '' : 's'} failed`;
  if (over === 0) return `fits, but ${checks}`;
  const databases = `${over} database${over === 1 ? '' : 's'} over budget`;
  return `OVER BUDGET (${failed === 0 ? databases : `${databases}, ${checks}`})`;
}

/**
 * The arithmetic of the steady and the enforced case per consumer, pool and
 * probe connections apart; consumers without the readiness connection say so.
 */
function breakdown(database: DatabaseBudget): string[] {
  const modes = database.mode === 'steady' ? (['steady'] as const) : (['steady', database.mode] as const);
  return database.consumers.flatMap((consumer) =>
    modes.map((mode) => {
      const split =
        consumer.kind === 'other'
          ? ''
          : ` (${consumer.poolConnections[mode]} pool + ${consumer.probeConnections[mode]} probe)`;
      const plain =
        consumer.kind !== 'other' && !consumer.readiness
          ? ', no readiness connection: not clientats-runtime'
          : '';
      return `${consumer.name} ${mode}: ${consumer.arithmetic[mode]} = ${consumer.connections[mode]}${split}${plain}`;
    }),
  );
}

/** The client-side arithmetic of the apps behind a bouncer tier, in the enforced case. */
function behindLines(tier: PgbouncerTierBudget, mode: BudgetMode): string[] {
  return tier.behind.map(
    (consumer) =>
      `behind ${tier.name}: ${consumer.name} ${mode}: ${consumer.arithmetic[mode]} = ` +
      `${consumer.connections[mode]} client connections`,
  );
}

function checkLabel(check: RuntimeCheck): string {
  return check.source === undefined ? check.name : `${check.name} (${check.source})`;
}

/** ` by N` when the database's own slots are what is exceeded, else nothing. */
export function overBy(database: DatabaseBudget): string {
  return database.spare < 0 ? ` by ${-database.spare}` : '';
}

function verdict(database: DatabaseBudget): string {
  const total = database.totals[database.mode];
  // Over with slots to spare: a PgBouncer tier's client side is what does not fit, and its line says by how much.
  if (!database.fits) return `OVER BUDGET${overBy(database)}: ${database.violation ?? ''}`;
  return `fits: ${database.mode} ${total} ≤ ${database.usable} usable, ${database.spare} spare`;
}

function providerText(database: DatabaseBudget): string {
  if (database.provider === undefined) return '';
  return (
    ` (preset ${database.provider.name}` +
    `${database.provider.verify ? ', secondary source: verify with --database-url' : ''})`
  );
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|');
}
