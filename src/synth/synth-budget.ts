/**
 * The connection budget as one synth phase: the rendered files go through the
 * reader dispatcher `check` uses (`readManifests`), each consumer found is
 * assigned to the database its workload declares, and the pure arithmetic
 * sums them with the declaration's other clients. Problems come back as
 * `[<environment>] <message>` lines, like the constructs' own validations.
 */
import type { BudgetMode, Consumer } from '../budget/budget-types.js';
import { buildReport, type BudgetReport } from '../budget/budget-report.js';
import type { DatabaseDeclaration } from '../budget/budgeted-workload.js';
import type { ConsumerBudget } from '../budget/compute-budget.js';
import {
  computeTieredBudget,
  type TieredDatabaseBudget as DatabaseBudget,
  type TierInput,
} from '../budget/pgbouncer-tier-budget.js';
import { checkRuntimeTiming, type RuntimeCheck } from '../budget/runtime-timing.js';
import { InputError } from '../readers/manifest-input.js';
import { isBudgetInput, readManifests } from '../readers/read-manifests.js';
import type { RenderedApp, RenderedWorkload } from './render-app.js';

/** What the budget phase found. */
export interface SynthBudget {
  readonly report: BudgetReport;
  /** One line per problem; empty when everything fits. */
  readonly problems: readonly string[];
}

/** A consumer with the workload it was rendered by and the file that holds it. */
interface Assigned {
  readonly consumer: Consumer;
  readonly workload: RenderedWorkload;
  readonly file: string;
}

/** Reads back what `renderApp` rendered and computes the budget of every declared database. */
export function budgetOfRendered(rendered: RenderedApp, mode: BudgetMode = 'rollout'): SynthBudget {
  const problems: string[] = [];
  const manifests = rendered.files.filter((file) => isBudgetInput(file.path));
  let inputs;
  try {
    inputs = readManifests(
      manifests.map((file) => ({ path: file.path, text: file.content, named: false })),
      { poolerAssumptionNotes: false },
    );
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const message = error.message;
    const owner = rendered.workloads.find((workload) =>
      workload.files.some((file) => message.startsWith(`${file}:`) || message.startsWith(`${file}#`)),
    );
    const prefix = owner === undefined ? '' : `[${owner.environment}] `;
    return {
      report: buildReport(mode, [], []),
      problems: [`${prefix}connection budget cannot read what synth rendered: ${message}`],
    };
  }
  const assigned: Assigned[] = [];
  for (const { file, consumers } of inputs.files) {
    for (const consumer of consumers) {
      const workload = ownerOf(rendered.workloads, file, consumer);
      if (workload === undefined) {
        problems.push(
          `${file}: ${consumer.name} connects to a database, but no construct declares which: ` +
            'render it from a construct that takes a database declaration',
        );
      } else {
        assigned.push({ consumer: { ...consumer, source: workload.construct.node.path }, workload, file });
      }
    }
  }
  const groups = new Map<string, Assigned[]>();
  for (const entry of assigned) {
    const name = entry.workload.construct.budgetDatabase.name;
    groups.set(name, [...(groups.get(name) ?? []), entry]);
  }
  const declared = new Map<string, RenderedWorkload>();
  for (const workload of rendered.workloads) {
    const name = workload.construct.budgetDatabase.name;
    const first = declared.get(name);
    if (first === undefined) declared.set(name, workload);
    else if (!sameDeclaration(first.construct.budgetDatabase, workload.construct.budgetDatabase)) {
      problems.push(
        `[${workload.environment}] database "${name}" is declared with different limits by ` +
          `${first.construct.node.path} and ${workload.construct.node.path}: ` +
          'declare it once and share the object',
      );
    }
  }
  const tiers = new Map<string, TierInput[]>();
  for (const tier of inputs.pgbouncers) {
    const names = [
      ...new Set(
        rendered.workloads
          .filter((workload) => workload.files.includes(tier.file))
          .map((workload) => workload.construct.budgetDatabase.name),
      ),
    ];
    if (names.length !== 1) {
      problems.push(
        `${tier.file}: PgBouncer "${tier.name}" sits in a file with ` +
          `${names.length === 0 ? 'no' : names.length} declared ` +
          'databases, so its server connections cannot be counted: render it in the chart of the service it fronts',
      );
      continue;
    }
    const input: TierInput = {
      name: tier.name,
      source: tier.source,
      artifact: tier.file,
      pools: tier.pools,
      fleet: tier.fleet,
    };
    tiers.set(names[0]!, [...(tiers.get(names[0]!) ?? []), input]);
  }
  const databases: DatabaseBudget[] = [];
  for (const [name, anchor] of [...declared].sort(([a], [b]) => a.localeCompare(b))) {
    const declaration = anchor.construct.budgetDatabase;
    const entries = groups.get(name) ?? [];
    const consumers = [...entries.map((entry) => entry.consumer), ...(declaration.otherClients ?? [])];
    const withArtifact = (consumer: ConsumerBudget): ConsumerBudget => {
      const entry = entries.find(
        (candidate) => candidate.consumer.kind === consumer.kind && candidate.consumer.name === consumer.name,
      );
      return entry === undefined ? consumer : { ...consumer, artifact: entry.file };
    };
    try {
      const budget = computeTieredBudget(consumers, tiers.get(name) ?? [], declaration, { mode });
      databases.push({
        ...budget,
        consumers: budget.consumers.map(withArtifact),
        ...(budget.pgbouncer === undefined
          ? {}
          : {
              pgbouncer: budget.pgbouncer.map((tier) => ({ ...tier, behind: tier.behind.map(withArtifact) })),
            }),
      });
      if (budget.violation !== undefined)
        problems.push(`[${(entries[0]?.workload ?? anchor).environment}] ${budget.violation}`);
    } catch (error) {
      problems.push(
        `[${anchor.environment}] connection budget of database "${name}": ${(error as Error).message}`,
      );
    }
  }
  const checks: RuntimeCheck[] = inputs.timing.flatMap((facts) => checkRuntimeTiming(facts));
  for (const check of checks) {
    if (check.ok) continue;
    const file = check.source?.replace(/#\d+$/, '');
    const owner = assigned.find(
      (entry) => entry.file === file && entry.consumer.name === check.name,
    )?.workload;
    problems.push(`${owner === undefined ? '' : `[${owner.environment}] `}${check.name}: ${check.message}`);
  }
  return { report: buildReport(mode, databases, checks, inputs.notes), problems };
}

/**
 * The workload that rendered a consumer: the only budgeted workload of its
 * file, or, when a chart holds several, the one that rendered the object.
 */
function ownerOf(
  workloads: readonly RenderedWorkload[],
  file: string,
  consumer: Consumer,
): RenderedWorkload | undefined {
  const candidates = workloads.filter((workload) => workload.files.includes(file));
  if (consumer.kind !== 'kubernetes') return candidates.length === 1 ? candidates[0] : undefined;
  const object = `${consumer.workload ?? 'Deployment'}/${consumer.name.split('/')[0]}`;
  return candidates.find((workload) => workload.objects.includes(object));
}

function sameDeclaration(a: DatabaseDeclaration, b: DatabaseDeclaration): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
