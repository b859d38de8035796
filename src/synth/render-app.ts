/**
 * Renders a cdk8s app in memory: one `<chart>.k8s.yaml` per chart (as cdk8s
 * writes it with `YamlOutputType.FILE_PER_CHART`) and every file emitter's
 * files, together with which budgeted workload produced which file. Nothing is
 * written here: synth reads these very files back for the budget, then writes them.
 */
import { ApiObject, App, Chart, Names, Yaml, YamlOutputType } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { isBudgetedWorkload, type BudgetedWorkload } from '../budget/budgeted-workload.js';
import { GENERATED_HEADER, isFileEmitter, type GeneratedFile } from '../emit/generated-file.js';

/** A budgeted workload and where its objects or files end up. */
export interface RenderedWorkload {
  readonly construct: IConstruct & BudgetedWorkload;
  /** Files it renders into, relative to the output directory. */
  readonly files: readonly string[];
  /** `Kind/name` of the Kubernetes objects it renders (empty for file emitters). */
  readonly objects: readonly string[];
  /** The top-level construct it belongs to (chart, Compose project, Heroku app), for messages. */
  readonly environment: string;
}

/** Everything synth would write, in memory. */
export interface RenderedApp {
  readonly files: readonly GeneratedFile[];
  readonly workloads: readonly RenderedWorkload[];
}

/**
 * Renders every chart and file emitter of `app`. Call it after the app's
 * validations passed (rendering a chart runs them again and throws on a problem).
 * @throws Error when the app's output type is not one file per chart.
 */
export function renderApp(app: App): RenderedApp {
  if (app.yamlOutputType !== YamlOutputType.FILE_PER_CHART) {
    throw new Error(
      'synth writes one file per chart: create the App with yamlOutputType FILE_PER_CHART, ' +
        `got ${YamlOutputType[app.yamlOutputType]}`,
    );
  }
  const files: GeneratedFile[] = [];
  const chartFiles = new Map<Chart, string>();
  for (const chart of app.charts) {
    const path = `${Names.toDnsLabel(chart)}${app.outputFileExtension}`;
    chartFiles.set(chart, path);
    files.push({ path, content: `${chartHeader(chart)}${Yaml.stringify(...chart.toJson())}` });
  }
  const workloads: RenderedWorkload[] = [];
  for (const construct of app.node.findAll()) {
    const generated = isFileEmitter(construct) ? construct.generatedFiles() : undefined;
    if (generated !== undefined) files.push(...generated);
    if (!isBudgetedWorkload(construct)) continue;
    const environment = construct.node.scopes[1]?.node.id ?? construct.node.id;
    if (generated !== undefined) {
      workloads.push({ construct, files: generated.map((file) => file.path), objects: [], environment });
      continue;
    }
    const chart = chartOf(construct);
    const objects = construct.node
      .findAll()
      .filter((child): child is ApiObject => ApiObject.isApiObject(child))
      .map((object) => `${object.kind}/${object.name}`);
    const file = chart === undefined ? undefined : chartFiles.get(chart);
    workloads.push({ construct, files: file === undefined ? [] : [file], objects, environment });
  }
  return { files, workloads };
}

/**
 * `# ` comment lines from every construct of the chart that has a `headerComment()` (e.g. the
 * Secrets a service needs), so what must exist before `kubectl apply` is the first thing read.
 */
function chartHeader(chart: Chart): string {
  const lines = chart.node.findAll().flatMap((construct) => {
    const header = (construct as { headerComment?: unknown }).headerComment;
    return typeof header === 'function' ? (header.call(construct) as string[]) : [];
  });
  if (lines.length === 0) return '';
  const generated = `# ${GENERATED_HEADER}`;
  return `${[generated, ...lines.map((line) => `# ${line}`)].join('\n')}\n`;
}

function chartOf(construct: IConstruct): Chart | undefined {
  try {
    return Chart.of(construct);
  } catch {
    return undefined;
  }
}
