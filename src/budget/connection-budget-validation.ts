/**
 * The connection budget at synth: `addConnectionBudget(app)` registers a
 * validation on every `BudgetedWorkload` of the app, so `app.synth()` fails
 * listing **every** violation at once, each prefixed by cdk8s with the
 * workload's construct path:
 * `[clientats-large] worst case 143 > 97 usable (max_connections 100 − 3 reserved): 13 pods (10 replicas + 3 surge) × (1 pool × (8 + 2) + 1 probe)`.
 *
 * Workloads are grouped by `budgetDatabase.name` and summed with the
 * declaration's `otherClients`; a group's violation is reported once, on its
 * first workload. Each workload is also checked against what it renders: the
 * readiness probe and grace period against the runtime's timing settings, and
 * the rendered manifest's POOL_* values against its `budgetConsumers()`.
 *
 * Cost: one validation of a cdk8s app is many passes over the tree
 * (`synthesize()` validates, then `app.synth()` validates once more and again
 * for every chart it renders), and every workload's validation needs the
 * whole app's evaluation. The evaluation is therefore computed once and shared
 * (see `sharedEvaluation`), so a synth renders each object a bounded number
 * of times instead of passes × workloads² times.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiObject, App, Chart, Names } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import type { BudgetMode, Consumer } from './budget-types.js';
import { isBudgetedWorkload, type BudgetedWorkload, type DatabaseDeclaration } from './budgeted-workload.js';
import { buildReport, formatJson, formatMarkdown, type BudgetReport } from './budget-report.js';
import { BUDGET_MODES, computeBudget, consumerBudget, type DatabaseBudget } from './compute-budget.js';
import { isComposeFile, readComposeFile } from './compose-file.js';
import { isHerokuAppJson, readHerokuAppJson } from './heroku-app-json.js';
import { readKubernetesObjects } from './kubernetes-manifests.js';
import type { ManifestFindings } from './manifest-input.js';
import { checkRuntimeTiming, type RuntimeCheck } from './runtime-timing.js';

/** Options of `addConnectionBudget`. */
export interface ConnectionBudgetOptions {
  /** The case that must fit. @default 'rollout' */
  readonly mode?: BudgetMode;
}

/** File names of the report under the output directory. */
export const BUDGET_REPORT_FILES = { markdown: 'connection-budget.md', json: 'connection-budget.json' } as const;

/** Handle returned by `addConnectionBudget`. */
export interface ConnectionBudget {
  /** The budget of the app as it is now. */
  report(): BudgetReport;
}

type Construct = IConstruct & BudgetedWorkload;

/** What one evaluation of the app found, and which construct reports each problem. */
interface Evaluation {
  readonly report: BudgetReport;
  readonly problems: ReadonlyMap<IConstruct, string[]>;
}

/** An evaluation kept for reuse, with what it was computed from. */
interface SharedEvaluation {
  readonly fingerprint: string;
  readonly evaluation: Evaluation;
}

const registered = new WeakSet<IConstruct>();
/** The current evaluation of each app (by mode), dropped at the end of the synchronous run that computed it. */
const shared = new WeakMap<IConstruct, Map<BudgetMode, SharedEvaluation>>();
/** Set while the budget asks workloads for their own validation results, so its validation does not recurse. */
let evaluating = false;

/**
 * Registers the budget on every budgeted workload of `app`. Call it after the
 * environments are declared, right before `app.synth()`; a workload added later
 * fails validation with a line saying so.
 */
export function addConnectionBudget(app: IConstruct, options: ConnectionBudgetOptions = {}): ConnectionBudget {
  const mode = options.mode ?? 'rollout';
  for (const workload of budgetedWorkloads(app)) {
    if (registered.has(workload)) continue;
    registered.add(workload);
    workload.node.addValidation({ validate: () => (evaluating ? [] : sharedEvaluation(app, mode).problems.get(workload) ?? []) });
  }
  // `app` is visited before its workloads in every pass over the tree (pre-order), so this check runs first.
  app.node.addValidation({
    validate: () => {
      const workloads = budgetedWorkloads(app);
      forgetIfChanged(app, mode, workloads);
      return workloads
        .filter((workload) => !registered.has(workload))
        .map((workload) => `connection budget: workload ${workload.node.path} was added after addConnectionBudget(app): call it right before app.synth()`);
    },
  });
  return { report: () => freshEvaluation(app, mode).report };
}

/** Computes the budget report of an app without registering anything. */
export function computeAppBudget(app: IConstruct, options: ConnectionBudgetOptions = {}): BudgetReport {
  return freshEvaluation(app, options.mode ?? 'rollout').report;
}

/** Writes `connection-budget.md` and `connection-budget.json` into `outdir` (deterministic: no timestamps). */
export function writeBudgetReport(outdir: string, report: BudgetReport): void {
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, BUDGET_REPORT_FILES.markdown), formatMarkdown(report));
  writeFileSync(join(outdir, BUDGET_REPORT_FILES.json), formatJson(report));
}

function budgetedWorkloads(app: IConstruct): Construct[] {
  return app.node.findAll().filter((construct): construct is Construct => isBudgetedWorkload(construct));
}

/**
 * The app's evaluation, computed once and reused by every workload's
 * validation until the end of the current synchronous run (a synth validates
 * the whole tree many times in a row). A pass over the tree first runs the
 * app's own validation, which drops the evaluation if the workloads or what
 * they declare changed since (`forgetIfChanged`).
 */
function sharedEvaluation(app: IConstruct, mode: BudgetMode): Evaluation {
  return shared.get(app)?.get(mode)?.evaluation ?? remember(app, mode, fingerprintOf(budgetedWorkloads(app)), evaluate(app, mode));
}

/** The shared evaluation if the app still declares what it was computed from, else a new one. */
function freshEvaluation(app: IConstruct, mode: BudgetMode): Evaluation {
  forgetIfChanged(app, mode, budgetedWorkloads(app));
  return sharedEvaluation(app, mode);
}

function forgetIfChanged(app: IConstruct, mode: BudgetMode, workloads: readonly Construct[]): void {
  const kept = shared.get(app)?.get(mode);
  if (kept !== undefined && kept.fingerprint !== fingerprintOf(workloads)) shared.get(app)?.delete(mode);
}

function remember(app: IConstruct, mode: BudgetMode, fingerprint: string, evaluation: Evaluation): Evaluation {
  const entry: SharedEvaluation = { fingerprint, evaluation };
  const byMode = shared.get(app) ?? new Map<BudgetMode, SharedEvaluation>();
  shared.set(app, byMode.set(mode, entry));
  // Changes made in a later run (after an await, in a later test) are not in the fingerprint's reach: recompute then.
  queueMicrotask(() => {
    if (byMode.get(mode) === entry) byMode.delete(mode);
  });
  return evaluation;
}

/**
 * What the workloads declare, cheap to read: which workloads, their databases
 * and their consumers. What they render is left out (rendering it is the cost
 * being saved); it can only change within one synchronous run.
 */
function fingerprintOf(workloads: readonly Construct[]): string {
  return JSON.stringify(workloads.map((workload) => {
    let consumers: unknown;
    try {
      consumers = workload.budgetConsumers();
    } catch (error) {
      consumers = `throws: ${(error as Error).message}`;
    }
    return [workload.node.path, workload.budgetDatabase, consumers];
  }));
}

function evaluate(app: IConstruct, mode: BudgetMode): Evaluation {
  const problems = new Map<IConstruct, string[]>();
  const report = (construct: IConstruct, line: string): void => {
    problems.set(construct, [...(problems.get(construct) ?? []), line]);
  };
  const groups = new Map<string, Construct[]>();
  const invalid = invalidWorkloads(budgetedWorkloads(app));
  for (const workload of budgetedWorkloads(app)) {
    const name = workload.budgetDatabase.name;
    groups.set(name, [...(groups.get(name) ?? []), workload]);
  }
  const databases: DatabaseBudget[] = [];
  const checks: RuntimeCheck[] = [];
  const notes: string[] = [];
  for (const [name, workloads] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const anchor = workloads[0];
    const declaration = anchor.budgetDatabase;
    // An invalid workload already fails with its own lines; judging its numbers would only repeat them.
    if (workloads.some((workload) => invalid.has(workload))) {
      notes.push(`database ${name} not budgeted: ${workloads.filter((workload) => invalid.has(workload)).map((workload) => workload.node.path).join(', ')} failed validation`);
      continue;
    }
    for (const other of workloads.slice(1)) {
      if (!sameDeclaration(declaration, other.budgetDatabase)) {
        report(other, `database "${name}" is declared with different limits by ${anchor.node.path} and ${other.node.path}: declare it once and share the object`);
      }
    }
    const consumers: Consumer[] = [];
    const artifacts: (string | undefined)[] = [];
    for (const workload of workloads) {
      const declared = workload.budgetConsumers().map((consumer) => ({ ...consumer, source: consumer.source ?? workload.node.path }));
      consumers.push(...declared);
      artifacts.push(...declared.map(() => artifactOf(workload)));
      const rendered = renderedFindings(workload, declared, report);
      if (rendered === undefined) continue;
      notes.push(...rendered.notes);
      checkRendered(workload, declared, rendered, report);
      for (const facts of rendered.timing) checks.push(...checkRuntimeTiming(facts));
    }
    for (const client of declaration.otherClients ?? []) consumers.push(client);
    try {
      const budget = computeBudget(consumers, declaration, { mode });
      databases.push({
        ...budget,
        consumers: budget.consumers.map((consumer, index) => {
          const artifact = artifacts[index];
          return artifact === undefined ? consumer : { ...consumer, artifact };
        }),
      });
      if (budget.violation !== undefined) report(anchor, budget.violation);
    } catch (error) {
      report(anchor, `connection budget of database "${name}": ${(error as Error).message}`);
    }
  }
  for (const check of checks) {
    if (check.ok) continue;
    const owner = [...groups.values()].flat().find((workload) => workload.node.path === check.source || check.source?.startsWith(`${workload.node.path}/`));
    report(owner ?? app, `${check.name}: ${check.message}`);
  }
  return { report: buildReport(mode, databases, checks, notes), problems };
}

/** Workloads whose own validations fail (the budget's own validation is silenced meanwhile). */
function invalidWorkloads(workloads: readonly Construct[]): Set<Construct> {
  const previous = evaluating;
  evaluating = true;
  try {
    return new Set(workloads.filter((workload) => workload.node.validate().length > 0));
  } finally {
    evaluating = previous;
  }
}

/** What the workload actually renders: Deployments (via their JSON) or its own files (Compose, app.json). */
function renderedFindings(
  workload: Construct, declared: readonly Consumer[], report: (construct: IConstruct, line: string) => void,
): ManifestFindings | undefined {
  // app.json has no field for preboot (it is a Heroku feature flag): take it from the declaration.
  const preboot = declared.some((consumer) => consumer.kind === 'heroku' && consumer.preboot);
  try {
    const objects = workload.node.findAll().filter((construct): construct is ApiObject => ApiObject.isApiObject(construct));
    const deployments = objects.filter((object) => object.kind === 'Deployment');
    if (deployments.length > 0) {
      const configMaps = (Chart.isChart(Chart.of(workload)) ? Chart.of(workload).node.findAll() : [])
        .filter((construct): construct is ApiObject => ApiObject.isApiObject(construct) && construct.kind === 'ConfigMap');
      const autoscalers = objects.filter((object) => object.kind === 'HorizontalPodAutoscaler');
      return readKubernetesObjects([...deployments, ...autoscalers, ...configMaps].map((object) => ({ object: object.toJson(), source: object.node.path })));
    }
    const files = generatedFilesOf(workload);
    if (files === undefined) return undefined;
    const found: ManifestFindings = { consumers: [], timing: [], notes: [] };
    for (const file of files) {
      const source = `${workload.node.path}/${file.path}`;
      let findings: ManifestFindings | undefined;
      if (/\.ya?ml$/.test(file.path)) {
        const document: unknown = parseYaml(file.content);
        if (isComposeFile(document)) findings = readComposeFile(document, source);
      } else if (file.path.endsWith('.json')) {
        const document: unknown = JSON.parse(file.content);
        if (isHerokuAppJson(document, file.path)) findings = readHerokuAppJson(document, source, { preboot });
      }
      if (findings === undefined) continue;
      found.consumers.push(...findings.consumers);
      found.timing.push(...findings.timing);
      found.notes.push(...findings.notes);
    }
    return found;
  } catch (error) {
    report(workload, `connection budget cannot read what ${workload.node.path} renders: ${(error as Error).message}`);
    return undefined;
  }
}

/** The rendered manifest must hold what the budget was told: same connections in every case. */
function checkRendered(workload: Construct, declared: readonly Consumer[], rendered: ManifestFindings, report: (construct: IConstruct, line: string) => void): void {
  if (rendered.consumers.length === 0) return;
  for (const mode of BUDGET_MODES) {
    const told = declared.reduce((sum, consumer) => sum + consumerBudget(consumer).connections[mode], 0);
    const written = rendered.consumers.reduce((sum, consumer) => sum + consumerBudget(consumer).connections[mode], 0);
    if (told !== written) {
      report(workload, `budgetConsumers() counts ${told} connections (${mode}) but the rendered manifest holds ${written}: the budget must read the values it writes`);
      return;
    }
  }
}

function generatedFilesOf(workload: Construct): readonly { path: string; content: string }[] | undefined {
  const emitter = workload as unknown as { generatedFiles?: () => readonly { path: string; content: string }[] };
  return typeof emitter.generatedFiles === 'function' ? emitter.generatedFiles() : undefined;
}

/** The output file holding the workload, relative to the outdir, so `check dist` can find its database. */
function artifactOf(workload: Construct): string | undefined {
  const named = (workload as unknown as { fileName?: unknown }).fileName;
  if (typeof named === 'string') return named;
  const files = generatedFilesOf(workload);
  if (files !== undefined && files.length > 0) return files.find((file) => /(\.ya?ml|app\.json)$/.test(file.path))?.path ?? files[0].path;
  try {
    const chart = Chart.of(workload);
    const app = App.of(chart);
    return `${Names.toDnsLabel(chart)}${app instanceof App ? app.outputFileExtension : '.k8s.yaml'}`;
  } catch {
    return undefined;
  }
}

function sameDeclaration(a: DatabaseDeclaration, b: DatabaseDeclaration): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
