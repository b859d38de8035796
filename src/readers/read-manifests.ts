/**
 * The one reader dispatcher: in-memory files (`{ path, text }`) in, budget
 * consumers, runtime timing facts and notes out. `clientats-deploy check`
 * feeds it files from disk or standard input; synth feeds it what it has just
 * rendered, so both count exactly the same thing.
 *
 * By content: `connection-budget.json` is a synthesized report (the databases
 * of a dist/), other `.json` files are Heroku app.json, everything else is a
 * YAML stream of Kubernetes objects (`List`s expanded) or one Compose file.
 * Kubernetes objects of every file are read together, so an HPA or ConfigMap
 * may sit in another file than its workload. Compose files are read as
 * Compose loads them (`compose-project.ts`): files named together merged in
 * order, a folder's override file merged with its base, `extends` resolved,
 * `${VAR}` from the project's `.env`.
 */
import { basename } from 'node:path';
import type { BudgetReport } from '../budget/budget-report.js';
import type { Consumer } from '../budget/budget-types.js';
import type { RuntimeTimingFacts } from '../budget/runtime-timing.js';
import { isComposeFile, parseDotenv, readComposeFile } from './compose-file.js';
import { composeProjects, mergeComposeProject, type ComposeInput } from './compose-project.js';
import { isHerokuAppJson, readHerokuAppJson } from './heroku-app-json.js';
import { isKubernetesObject, readKubernetesObjects, type SourcedObject } from './kubernetes-manifests.js';
import { WORKLOAD_KINDS } from './kubernetes-workloads.js';
import { InputError, type PooledClient } from './manifest-input.js';
import { readPgbouncerTiers, type FoundPgbouncerTier } from './pgbouncer-tiers.js';
import { placePooledClients, type ComposeDocument } from './pooled-clients.js';
import { withSourceLocations } from './source-lines.js';
import { oneLine, parseYamlDocuments } from './yaml-documents.js';

/** A file in memory. */
export interface InputFile {
  /** As given or found (`-` for standard input), for messages and for matching a report's artifacts. */
  readonly path: string;
  readonly text: string;
  /**
   * Named by the user (a file argument, stdin) rather than found in a folder:
   * a named file the budget cannot read is an error, a found one is skipped. @default true
   */
  readonly named?: boolean;
}

/** Options of `readManifests`. */
export interface ReadManifestOptions {
  /** Heroku preboot on for every app.json (`--preboot`). */
  readonly preboot?: boolean;
  /** Nodes a DaemonSet runs on (`--nodes`). */
  readonly nodes?: number;
  /** Reads a Compose `env_file` given relative to the Compose file; `undefined` when it cannot be read. */
  readonly readEnvFile?: (composeFile: string, envFile: string) => string | undefined;
  /** PgBouncer pods behind a plain `pgbouncer.ini` input (`--pgbouncer-replicas`). */
  readonly pgbouncerReplicas?: number;
  /** Extra PgBouncer pods while that plain ini's bouncers roll out (`--pgbouncer-max-surge`, default 1). */
  readonly pgbouncerMaxSurge?: number;
  /** Users connecting through PgBouncer entries without `user=` (`--pgbouncer-users`); the userlist is never read. */
  readonly pgbouncerUsers?: number;
  /** Adds each consumer's `locations` (file and line of its sizing values), for annotations. @default false */
  readonly locations?: boolean;
  /**
   * Notes each app counted behind PgBouncer only because DATABASE_POOLER says so (its URL not in the
   * input). Synth turns it off: it renders the app and its tier together. @default true
   */
  readonly poolerAssumptionNotes?: boolean;
}

/** The consumers found in one file. */
export interface FileConsumers {
  readonly file: string;
  readonly consumers: readonly Consumer[];
}

/** Everything read from the inputs. */
export interface ManifestInputs {
  readonly files: readonly FileConsumers[];
  readonly timing: readonly RuntimeTimingFacts[];
  readonly notes: readonly string[];
  /** A synthesized budget report (`connection-budget.json`) among the inputs, with its path. */
  readonly budget?: { readonly file: string; readonly report: BudgetReport };
  /** PgBouncer tiers found (ConfigMap + Deployment, Compose service, plain pgbouncer.ini). */
  readonly pgbouncers: readonly FoundPgbouncerTier[];
}

/** The report synth writes next to the manifests, read back by `check dist`. */
export const BUDGET_REPORT_FILE = 'connection-budget.json';

/**
 * The files the budget is read from, by the path's last part: YAML (Kubernetes, Compose), PgBouncer `.ini`,
 * Heroku `app.json` and a synthesized `connection-budget.json`. `check` walks folders with it and synth reads
 * back what it rendered with it, so both count the same files.
 */
export function isBudgetInput(path: string): boolean {
  const name = basename(path);
  return /\.(ya?ml|ini)$/.test(name) || name === 'app.json' || name === BUDGET_REPORT_FILE;
}

/** Kinds that make a Kubernetes file worth reading. */
const READ_KINDS: readonly string[] = [
  ...WORKLOAD_KINDS,
  'HorizontalPodAutoscaler',
  'ScaledObject',
  'ConfigMap',
  'Secret',
];

/**
 * Reads every file; throws `InputError` (one line naming the file and the
 * object) on anything malformed, or on a workload it cannot size.
 */
export function readManifests(
  inputs: readonly InputFile[],
  options: ReadManifestOptions = {},
): ManifestInputs {
  const files: FileConsumers[] = [];
  const timing: RuntimeTimingFacts[] = [];
  const notes: string[] = [];
  const kubernetes: SourcedObject[] = [];
  const kubernetesFiles: { file: string; named: boolean; kinds: string[] }[] = [];
  let budget: ManifestInputs['budget'];
  const pgbouncer = readPgbouncerTiers(options);
  // Compose files are grouped into projects (merged, extends resolved) before any is read.
  const parsed = new Map<string, unknown[]>();
  const composeInputs: ComposeInput[] = [];
  for (const { path: file, text, named = true } of inputs) {
    if (file.endsWith('.ini') || file.endsWith('.json') || basename(file) === BUDGET_REPORT_FILE) continue;
    const documents = parseYamlDocuments(file, text);
    parsed.set(file, documents);
    if (documents.length === 1 && isComposeFile(documents[0]))
      composeInputs.push({ file, document: documents[0], named });
  }
  const projects = composeProjects(composeInputs);
  const pooled: PooledClient[] = [];
  const composeDocuments: ComposeDocument[] = [];
  for (const { path: file, text, named = true } of inputs) {
    if (file.endsWith('.ini')) {
      pgbouncer.ini(file, text, named);
      continue;
    }
    if (basename(file) === BUDGET_REPORT_FILE) {
      budget = { file, report: parseBudgetReport(file, text) };
      continue;
    }
    if (file.endsWith('.json')) {
      const document = parseJson(file, text);
      if (!isHerokuAppJson(document, file)) {
        if (named) {
          throw new InputError(
            `${file}: not a Heroku app.json (no "formation" and not named app.json): ` +
              'the budget reads app.json, Kubernetes YAML and Compose files',
          );
        }
        continue;
      }
      const findings = readHerokuAppJson(document, file, options);
      pgbouncer.add(findings.pgbouncers);
      files.push({ file, consumers: findings.consumers });
      timing.push(...findings.timing);
      notes.push(...findings.notes);
      continue;
    }
    const documents = parsed.get(file) ?? [];
    if (documents.length === 1 && isHerokuAppJson(documents[0], file) && !isComposeFile(documents[0])) {
      const findings = readHerokuAppJson(documents[0], file, options);
      pgbouncer.add(findings.pgbouncers);
      files.push({ file, consumers: findings.consumers });
      timing.push(...findings.timing);
      notes.push(...findings.notes);
      continue;
    }
    if (documents.length === 1 && isComposeFile(documents[0])) {
      const project = projects.find((candidate) => candidate[0]!.file === file);
      if (project === undefined) {
        // A later file of a project: read with its first file.
        files.push({ file, consumers: [] });
        continue;
      }
      const merged = mergeComposeProject(project, composeInputs);
      const dotenv = options.readEnvFile?.(merged.file, '.env');
      pgbouncer.compose(merged.document, merged.file);
      const findings = readComposeFile(merged.document, merged.file, {
        readEnvFile: (path) => options.readEnvFile?.(merged.file, path),
        ...(options.nodes === undefined ? {} : { nodes: options.nodes }),
        ...(dotenv === undefined ? {} : { variables: parseDotenv(dotenv) }),
      });
      files.push({ file, consumers: findings.consumers });
      timing.push(...findings.timing);
      notes.push(...merged.notes, ...findings.notes);
      pooled.push(...(findings.pooled ?? []));
      composeDocuments.push({ file: merged.file, document: merged.document });
      continue;
    }
    const objects = documents.flatMap((document) =>
      isKubernetesList(document) ? (document as { items: unknown[] }).items : [document],
    );
    if (objects.length === 0 || !objects.every(isKubernetesObject)) {
      if (named) {
        throw new InputError(
          `${file}: neither Kubernetes objects (apiVersion and kind) nor a Compose file (services): ` +
            'the budget reads app.json, Kubernetes YAML and Compose files',
        );
      }
      continue;
    }
    objects.forEach((object, index) =>
      kubernetes.push({ object, source: objects.length === 1 ? file : `${file}#${index + 1}` }),
    );
    kubernetesFiles.push({
      file,
      named,
      kinds: objects.map((object) => String((object as { kind: unknown }).kind)),
    });
  }
  const findings = readKubernetesObjects(kubernetes, {
    ...(options.nodes === undefined ? {} : { nodes: options.nodes }),
  });
  pgbouncer.kubernetes(kubernetes);
  notes.push(...pgbouncer.notes);
  pooled.push(...(findings.pooled ?? []));
  for (const { file, named, kinds } of kubernetesFiles) {
    if (named && !kinds.some((kind) => READ_KINDS.includes(kind))) {
      throw new InputError(
        `${file}: has no ${READ_KINDS.join(', ')} (found ${[...new Set(kinds)].join(', ')}): nothing the budget reads`,
      );
    }
    const consumers = findings.consumers.filter(
      (consumer) => consumer.source === file || consumer.source?.startsWith(`${file}#`),
    );
    files.push({ file, consumers });
  }
  timing.push(...findings.timing);
  // A bouncer's own Deployment is not a database client of the app kind: its tier counts it.
  const bouncers = pgbouncer.found.map((tier) => `Deployment "${tier.name}" sets no POOL_*`);
  notes.push(...findings.notes.filter((note) => !bouncers.some((bouncer) => note.includes(bouncer))));
  for (const { path: file, named = true } of inputs) {
    const entry = files.find((candidate) => candidate.file === file);
    if (
      named &&
      entry !== undefined &&
      entry.consumers.length === 0 &&
      !notes.some((note) => note.startsWith(file))
    ) {
      notes.push(`${file}: no database client found`);
    }
  }
  const placement = placePooledClients(pooled, pgbouncer.found, kubernetes, composeDocuments, {
    assumptionNotes: options.poolerAssumptionNotes ?? true,
  });
  notes.push(...placement.notes);
  for (const [index, entry] of files.entries()) {
    if (!entry.consumers.some((consumer) => placement.replacements.has(consumer))) continue;
    files[index] = {
      ...entry,
      consumers: entry.consumers.map((consumer) => placement.replacements.get(consumer) ?? consumer),
    };
  }
  const located =
    options.locations === true
      ? files.map((entry) => ({ ...entry, consumers: withSourceLocations(entry.consumers, inputs) }))
      : files;
  return {
    files: located,
    timing,
    notes,
    pgbouncers: pgbouncer.found,
    ...(budget === undefined ? {} : { budget }),
  };
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON: ${oneLine((error as Error).message)}`, { cause: error });
  }
}

function isKubernetesList(document: unknown): boolean {
  return (
    typeof document === 'object' &&
    document !== null &&
    (document as { kind?: unknown }).kind === 'List' &&
    Array.isArray((document as { items?: unknown }).items)
  );
}

function parseBudgetReport(file: string, text: string): BudgetReport {
  const document = parseJson(file, text) as Partial<BudgetReport> | null;
  if (document === null || typeof document !== 'object' || !Array.isArray(document.databases)) {
    throw new InputError(
      `${file}: not a connection budget report (no "databases" list): synthesize it again with npm run synth`,
    );
  }
  return document as BudgetReport;
}
