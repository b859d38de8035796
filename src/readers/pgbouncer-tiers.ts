/**
 * The PgBouncer part of the reader dispatcher: collects the tiers of every
 * input (a ConfigMap holding `pgbouncer.ini` with the Deployment that mounts
 * it, a Compose service with the ini as an inline config or as a `file:` the
 * input also holds, a Kustomize `configMapGenerator` whose ini file the input
 * holds, a plain `pgbouncer.ini` sized by `--pgbouncer-replicas N`, or the
 * per-dyno bouncer of a Heroku app). Every problem becomes one `InputError`
 * line naming the file.
 *
 * An ini file is matched to the workload that mounts it before it is taken
 * as a tier of its own: a folder walk that finds a Compose file and the
 * `pgbouncer.ini` it mounts reads one tier, sized by the service's replicas.
 * An ini nothing mounts needs `--pgbouncer-replicas`, named or found alike.
 */
import { realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bouncerPoolsFromIni } from '../pgbouncer/bouncer-pools-from-ini.js';
import { parsePgbouncerIni, type ParsedPgbouncerIni } from '../pgbouncer/pgbouncer-ini.js';
import {
  PGBOUNCER_INI_PATH,
  readComposePgbouncerTiers,
  readKubernetesPgbouncerTiers,
  type PgbouncerTier,
} from '../pgbouncer/read-pgbouncer-tier.js';
import type { SourcedObject } from './kubernetes-manifests.js';
import { asInputError, InputError } from './manifest-input.js';

/** A tier and the file it was found in. */
export type FoundPgbouncerTier = PgbouncerTier;

/** Collects tiers while the dispatcher walks its inputs; `kubernetes` is called last and resolves them. */
export interface PgbouncerTierCollector {
  readonly found: FoundPgbouncerTier[];
  /** Files skipped on purpose (an ini found in a folder that is not a PgBouncer config). */
  readonly notes: string[];
  /** An ini file; `named` false when a folder walk found it (any ini), true when given by name. */
  ini(file: string, text: string, named?: boolean): void;
  compose(document: unknown, file: string): void;
  /** Tiers a reader found whole (the per-dyno bouncer of a Heroku app). */
  add(tiers: readonly FoundPgbouncerTier[]): void;
  /** The Kubernetes objects of every file; resolves every ini and Compose tier, so it is called once, last. */
  kubernetes(objects: readonly SourcedObject[]): void;
}

/** `--pgbouncer-users N` as N stand-in user names (the userlist itself is a secret check never reads). */
function usersOf(count: number | undefined): readonly string[] | undefined {
  return count === undefined ? undefined : Array.from({ length: count }, (_, index) => `user ${index + 1}`);
}

/** A section header PgBouncer reads its settings from. */
const PGBOUNCER_SECTION = /^\s*\[\s*(pgbouncer|databases)\s*\]\s*$/im;

/** True when an ini's text has a `[pgbouncer]` or `[databases]` section: a PgBouncer config. */
export function isPgbouncerIni(text: string): boolean {
  return PGBOUNCER_SECTION.test(text);
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

interface IniInput {
  readonly file: string;
  readonly text: string;
  readonly ini: ParsedPgbouncerIni;
  used: boolean;
}

/**
 * A collector; `pgbouncerReplicas` sizes an ini that no input mounts, rolled
 * out with `pgbouncerMaxSurge` extra pods (default 1, as generated and as `plan` assumes).
 */
export function readPgbouncerTiers(options: {
  readonly pgbouncerReplicas?: number;
  readonly pgbouncerMaxSurge?: number;
  readonly pgbouncerUsers?: number;
}): PgbouncerTierCollector {
  const users = usersOf(options.pgbouncerUsers);
  const found: FoundPgbouncerTier[] = [];
  const notes: string[] = [];
  // In input order, so the tiers come out in the order their files were given.
  const entries: ({ ini: IniInput } | { compose: { document: unknown; file: string } })[] = [];
  const inis = new Map<string, IniInput>();
  return {
    found,
    notes,
    ini(file, text, named = true) {
      if (!named && !isPgbouncerIni(text)) {
        notes.push(`${file}: not a PgBouncer config (no [pgbouncer] or [databases] section): skipped`);
        return;
      }
      const entry: IniInput = {
        file,
        text,
        ini: asInputError(() => parsePgbouncerIni(text, file)),
        used: false,
      };
      inis.set(canonical(file), entry);
      entries.push({ ini: entry });
    },
    compose(document, file) {
      entries.push({ compose: { document, file } });
    },
    add(tiers) {
      found.push(...tiers);
    },
    kubernetes(objects) {
      const generated = generatedConfigMaps(objects, inis);
      for (const entry of entries) {
        if ('compose' in entry) {
          const { document, file } = entry.compose;
          const withFiles = inlineMountedInis(document, file, inis);
          found.push(...asInputError(() => readComposePgbouncerTiers(withFiles, file, users)));
        }
      }
      found.push(...asInputError(() => readKubernetesPgbouncerTiers([...objects, ...generated], users)));
      for (const entry of entries) {
        if ('ini' in entry && !entry.ini.used)
          found.push(plainTier(entry.ini, options.pgbouncerReplicas, options.pgbouncerMaxSurge ?? 1, users));
      }
    },
  };
}

/**
 * A pgbouncer.ini nothing in the input mounts: sized by `--pgbouncer-replicas`
 * and rolled out like the generated tier (RollingUpdate, `maxSurge` from
 * `--pgbouncer-max-surge`, `maxUnavailable` 0), so `check` and `plan` agree.
 */
function plainTier(
  { file, ini }: IniInput,
  replicas: number | undefined,
  maxSurge: number,
  users: readonly string[] | undefined,
): FoundPgbouncerTier {
  if (replicas === undefined) {
    throw new InputError(
      `${file}: a pgbouncer.ini does not say how many bouncers run it: ` +
        'give the count with --pgbouncer-replicas N (pods incl. HPA max; ' +
        '--pgbouncer-max-surge adds the rollout surge, default 1)',
    );
  }
  return {
    name: file.replace(/^.*\//, '').replace(/\.ini$/, ''),
    source: file,
    file,
    ini,
    pools: asInputError(() =>
      bouncerPoolsFromIni(ini, { source: file, ...(users === undefined ? {} : { users }) }),
    ),
    fleet: { replicas, strategy: { type: 'RollingUpdate', maxSurge, maxUnavailable: 0 } },
  };
}

/**
 * The Compose document with the content of every config mounted at the
 * PgBouncer path whose `file:` (relative to the Compose file) is an ini of the
 * input filled in, so the Compose reader sizes it by the service's replicas.
 */
function inlineMountedInis(document: unknown, composeFile: string, inis: Map<string, IniInput>): unknown {
  const root = asObject(document);
  const configs = asObject(root.configs);
  const mounted = new Set(
    Object.values(asObject(root.services)).flatMap((service) =>
      asArray(asObject(service).configs)
        .map(asObject)
        .filter((mount) => mount.target === PGBOUNCER_INI_PATH)
        .map((mount) => String(mount.source)),
    ),
  );
  let changed: Json | undefined;
  for (const name of mounted) {
    const config = asObject(configs[name]);
    if (typeof config.content === 'string' || typeof config.file !== 'string') continue;
    const entry = inis.get(canonical(resolve(dirname(composeFile), config.file)));
    if (entry === undefined) continue;
    entry.used = true;
    changed = { ...(changed ?? configs), [name]: { ...config, content: entry.text } };
  }
  return changed === undefined ? document : { ...root, configs: changed };
}

/**
 * ConfigMaps a Kustomization's `configMapGenerator` makes from an ini of the
 * input (`files: [pgbouncer.ini]` or `files: [pgbouncer.ini=path]`), so the
 * Deployment that mounts the generated ConfigMap is matched as for any
 * ConfigMap. Named without kustomize's hash suffix, as the Deployment in the
 * repository names it.
 */
function generatedConfigMaps(
  objects: readonly SourcedObject[],
  inis: Map<string, IniInput>,
): SourcedObject[] {
  const generated: SourcedObject[] = [];
  for (const { object, source } of objects) {
    const record = asObject(object);
    if (record.kind !== 'Kustomization') continue;
    const folder = dirname(source.replace(/#\d+$/, ''));
    for (const generator of asArray(record.configMapGenerator).map(asObject)) {
      for (const spec of asArray(generator.files)) {
        if (typeof spec !== 'string') continue;
        const [key, path] = spec.includes('=') ? spec.split('=', 2) : [spec.replace(/^.*\//, ''), spec];
        const entry = inis.get(canonical(join(folder, path!)));
        if (key !== 'pgbouncer.ini' || entry === undefined) continue;
        entry.used = true;
        const namespace = typeof generator.namespace === 'string' ? { namespace: generator.namespace } : {};
        generated.push({
          object: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: generator.name, ...namespace },
            data: { 'pgbouncer.ini': entry.text },
          },
          source: entry.file,
        });
      }
    }
  }
  return generated;
}

/**
 * The path an ini is known by: its real path when it exists on disk (a walk keeps the first of several
 * links to one file, a Compose file may name another), else the absolute path (synth's files are in memory).
 */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
