/**
 * Files other than Kubernetes manifests (Compose files, Heroku configs). Their
 * constructs live in the same app tree as the charts, so the same validations
 * cover them, and `synthesize` writes their files after the charts.
 */
import { Yaml } from 'cdk8s';

/** One file, relative to the output directory. */
export interface GeneratedFile {
  /** Path under the output directory, `/`-separated, e.g. `heroku/clientats-prod/app.json`. */
  readonly path: string;
  readonly content: string;
  /** Written with mode 0755 (scripts). @default false */
  readonly executable?: boolean;
}

/** Implemented by constructs that write files of their own. */
export interface FileEmitter {
  /** The files to write; called once, after every validation passed. */
  generatedFiles(): readonly GeneratedFile[];
}

/** Type guard used when walking the construct tree. */
export function isFileEmitter(value: unknown): value is FileEmitter {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { generatedFiles?: unknown }).generatedFiles === 'function'
  );
}

/** A YAML file rendered with cdk8s's own YAML output (the same as the manifests). */
export function yamlFile(path: string, document: unknown): GeneratedFile {
  return { path, content: Yaml.stringify(document) };
}

/** A JSON file, two-space indented, ending in a newline. */
export function jsonFile(path: string, document: unknown): GeneratedFile {
  return { path, content: `${JSON.stringify(document, null, 2)}\n` };
}
