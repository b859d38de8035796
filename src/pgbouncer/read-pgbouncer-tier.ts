/**
 * Finds PgBouncer tiers in what `check` reads: Kubernetes objects (a
 * ConfigMap holding `pgbouncer.ini` and the Deployment that mounts it, with
 * its HPA and strategy) and Compose documents (a service with a config
 * mounted at `/etc/pgbouncer/pgbouncer.ini`). A bouncer whose configuration
 * cannot be seen (an image named pgbouncer without a readable ini) is refused
 * with what to pass instead, never skipped.
 */
import type { RolloutStrategy } from '../budget/budget-types.js';
import type { BouncerFleet, BouncerPools } from '../budget/pgbouncer-budget.js';
import { bouncerPoolsFromIni } from './bouncer-pools-from-ini.js';
import { parsePgbouncerIni, type ParsedPgbouncerIni } from './pgbouncer-ini.js';

/** Where PgBouncer images read their configuration. */
export const PGBOUNCER_INI_PATH = '/etc/pgbouncer/pgbouncer.ini';

/** One PgBouncer tier as the budget needs it. */
export interface PgbouncerTier {
  readonly name: string;
  /** Files it was read from, for messages. */
  readonly source: string;
  /** The file holding its Deployment, Compose service or ini (without a `#n` document index). */
  readonly file: string;
  readonly ini: ParsedPgbouncerIni;
  readonly pools: BouncerPools;
  readonly fleet: BouncerFleet;
}

/** An object and the file it came from. */
export interface SourcedObject {
  readonly object: unknown;
  readonly source: string;
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const isPgbouncerImage = (image: unknown): boolean => typeof image === 'string' && /pgbouncer/i.test(image);

/**
 * PgBouncer tiers among Kubernetes objects.
 * @throws Error when a ConfigMap's ini is unreadable, no Deployment mounts it,
 * or a PgBouncer Deployment mounts a ConfigMap the input does not hold.
 */
export function readKubernetesPgbouncerTiers(
  objects: readonly SourcedObject[],
  users?: readonly string[],
): PgbouncerTier[] {
  const inis = new Map<string, { ini: ParsedPgbouncerIni; source: string; used: boolean }>();
  const autoscalers = new Map<string, number>();
  const deployments: { object: Json; source: string; key: string }[] = [];
  for (const { object, source } of objects) {
    const record = asObject(object);
    const metadata = asObject(record.metadata);
    const key = `${typeof metadata.namespace === 'string' ? metadata.namespace : 'default'}/${String(metadata.name)}`;
    if (record.kind === 'ConfigMap') {
      const text = asObject(record.data)['pgbouncer.ini'];
      if (typeof text === 'string')
        inis.set(key, {
          ini: parsePgbouncerIni(text, `${source}: ConfigMap "${String(metadata.name)}" pgbouncer.ini`),
          source,
          used: false,
        });
    } else if (record.kind === 'HorizontalPodAutoscaler') {
      const spec = asObject(record.spec);
      const target = asObject(spec.scaleTargetRef);
      if (target.kind === 'Deployment' && typeof spec.maxReplicas === 'number') {
        autoscalers.set(`${key.split('/')[0]}/${String(target.name)}`, spec.maxReplicas);
      }
    } else if (record.kind === 'Deployment') {
      deployments.push({ object: record, source, key });
    }
  }
  const tiers: PgbouncerTier[] = [];
  for (const { object, source, key } of deployments) {
    const namespace = key.split('/')[0];
    const spec = asObject(object.spec);
    const pod = asObject(asObject(spec.template).spec);
    const mounted = asArray(pod.volumes)
      .map((volume) => asObject(asObject(volume).configMap).name)
      .filter((name) => typeof name === 'string');
    const found = mounted
      .map((name) => inis.get(`${namespace}/${String(name)}`))
      .find((entry) => entry !== undefined);
    const where = `${source}: Deployment "${key.split('/')[1]}"`;
    if (found === undefined) {
      if (asArray(pod.containers).some((container) => isPgbouncerImage(asObject(container).image))) {
        throw new Error(
          `${where} runs PgBouncer but its pgbouncer.ini is not in the input (mounted ConfigMaps: ` +
            `${mounted.length === 0 ? 'none' : mounted.join(', ')}): pass the ConfigMap, ` +
            'or the ini file with --pgbouncer-replicas',
        );
      }
      continue;
    }
    found.used = true;
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const hpaMaxReplicas = autoscalers.get(key);
    tiers.push({
      name: key.split('/')[1]!,
      source: `${source}, ${found.source}`,
      file: source.replace(/#\d+$/, ''),
      ini: found.ini,
      pools: bouncerPoolsFromIni(found.ini, { users, source: found.source }),
      fleet: {
        replicas,
        ...(hpaMaxReplicas === undefined ? {} : { hpaMaxReplicas }),
        strategy: strategyOf(asObject(spec.strategy)),
      },
    });
  }
  for (const [key, entry] of inis) {
    if (!entry.used) {
      throw new Error(
        `${entry.source}: ConfigMap "${key.split('/')[1]}" holds a pgbouncer.ini that no Deployment ` +
          'in the input mounts: ' +
          'pass the Deployment too, so its replicas can be counted',
      );
    }
  }
  return tiers;
}

function strategyOf(strategy: Json): RolloutStrategy {
  if (strategy.type === 'Recreate') return { type: 'Recreate' };
  const rolling = asObject(strategy.rollingUpdate);
  const bound = (value: unknown): number | string | undefined =>
    typeof value === 'number' || typeof value === 'string' ? value : undefined;
  return {
    type: 'RollingUpdate',
    maxSurge: bound(rolling.maxSurge),
    maxUnavailable: bound(rolling.maxUnavailable),
  };
}

/**
 * PgBouncer tiers in a Compose document: services with a config mounted at
 * `/etc/pgbouncer/pgbouncer.ini` whose top-level config has inline `content`.
 * @throws Error for a PgBouncer service whose ini cannot be read from the document.
 */
export function readComposePgbouncerTiers(
  document: unknown,
  source: string,
  users?: readonly string[],
): PgbouncerTier[] {
  const root = asObject(document);
  const configs = asObject(root.configs);
  const tiers: PgbouncerTier[] = [];
  for (const [name, value] of Object.entries(asObject(root.services))) {
    const service = asObject(value);
    const where = `${source}: service "${name}"`;
    const mount = asArray(service.configs)
      .map(asObject)
      .find((entry) => entry.target === PGBOUNCER_INI_PATH);
    if (mount === undefined) {
      if (isPgbouncerImage(service.image)) {
        throw new Error(
          `${where} runs PgBouncer without a config mounted at ${PGBOUNCER_INI_PATH}, so its pools cannot be read: ` +
            'mount the ini as a Compose config, or pass the ini file with --pgbouncer-replicas',
        );
      }
      continue;
    }
    const config = asObject(configs[String(mount.source)]);
    if (typeof config.content !== 'string') {
      throw new Error(
        `${where} mounts config "${String(mount.source)}", which has no inline content here ` +
          `(${config.file === undefined ? 'it is not defined' : `file: ${String(config.file)}`}): ` +
          'pass that pgbouncer.ini to check as well',
      );
    }
    const ini = parsePgbouncerIni(config.content, `${where} pgbouncer.ini`);
    const replicas = asObject(service.deploy).replicas;
    tiers.push({
      name,
      source,
      file: source,
      ini,
      pools: bouncerPoolsFromIni(ini, { users, source: `${where} pgbouncer.ini` }),
      // Compose stops a container before it starts its replacement: no surge.
      fleet: { replicas: typeof replicas === 'number' ? replicas : 1, strategy: { type: 'Recreate' } },
    });
  }
  return tiers;
}
