/**
 * Which side of a PgBouncer tier an app with `DATABASE_POOLER=pgbouncer`
 * counts on. The variable only says the app expects a bouncer; its
 * DATABASE_URL says where it connects. When the URL is in the input (a
 * literal, a ConfigMap, an interpolated Compose value), the app counts behind
 * the bouncers only if the URL's host:port names a tier: the Service that
 * selects the bouncer pods (or, without one in the input, the bouncer
 * Deployment's name) and its port, or the bouncer's Compose service and its
 * `listen_port`. Otherwise it counts directly against the database, with a
 * note. A URL the input does not hold (a Secret, DATABASE_URL_FILE) stays
 * behind the bouncers, as DATABASE_POOLER says, and the note says it is assumed.
 */
import type { Consumer } from '../budget/budget-types.js';
import type { FoundPgbouncerTier } from './pgbouncer-tiers.js';
import type { PooledClient } from './manifest-input.js';

/** Where a tier's bouncers are reached. */
interface TierAddress {
  readonly tier: string;
  /** Service or Compose service names (and aliases) that reach the bouncers. */
  readonly hosts: readonly string[];
  /** The Kubernetes namespace of the Service (`undefined`: none given, or Compose). */
  readonly namespace?: string;
  readonly kubernetes: boolean;
  readonly ports: readonly number[];
}

/** A Compose document read, by the file its consumers point to. */
export interface ComposeDocument {
  readonly file: string;
  readonly document: Record<string, unknown>;
}

/** The consumers to replace (counted directly) and the notes saying why, or what is assumed. */
export interface Placement {
  readonly replacements: ReadonlyMap<Consumer, Consumer>;
  readonly notes: readonly string[];
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const DEFAULT_PGBOUNCER_PORT = 6432;
const DEFAULT_POSTGRES_PORT = 5432;

/** Places every pooled client against the tiers found. */
export function placePooledClients(
  pooled: readonly PooledClient[],
  tiers: readonly FoundPgbouncerTier[],
  kubernetes: readonly { readonly object: unknown; readonly source: string }[],
  compose: readonly ComposeDocument[],
  options: { readonly assumptionNotes?: boolean } = {},
): Placement {
  const replacements = new Map<Consumer, Consumer>();
  const notes: string[] = [];
  const addresses = tiers.map((tier) => tierAddress(tier, kubernetes, compose));
  for (const client of pooled) {
    const target = databaseAddress(client.url);
    if (target === undefined) {
      if (tiers.length > 0 && options.assumptionNotes !== false) {
        notes.push(
          `${client.where} takes DATABASE_URL from outside the input: ` +
            'counted behind PgBouncer as DATABASE_POOLER=pgbouncer says ' +
            '(assumed: the URL names the bouncers, not the database)',
        );
      }
      continue;
    }
    const known = addresses.filter((address): address is TierAddress => address !== undefined);
    if (known.length < addresses.length) {
      notes.push(
        `${client.where} DATABASE_URL names ${target.host}:${target.port}: ` +
          'counted behind PgBouncer as DATABASE_POOLER=pgbouncer says ' +
          '(assumed: that is the bouncers, whose address is not in the input)',
      );
      continue;
    }
    if (known.some((address) => reaches(address, target, client.namespace))) continue;
    const direct: Consumer & { pooler?: unknown } = { ...client.consumer };
    delete direct.pooler;
    replacements.set(client.consumer, direct);
    const bouncers = known.map(
      (address) => `${address.tier} (${address.hosts[0] ?? '?'}:${address.ports.join('/')})`,
    );
    notes.push(
      `${client.where} has DATABASE_POOLER=pgbouncer but its DATABASE_URL names ${target.host}:${target.port}, ` +
        (bouncers.length === 0
          ? 'and no PgBouncer tier is in the input'
          : `not PgBouncer ${bouncers.join(' or ')}`) +
        ': ' +
        'counted directly against the database',
    );
  }
  return { replacements, notes };
}

/** Host and port of a postgres URL; `undefined` when unknown (empty, a variable left out, several hosts). */
function databaseAddress(url: string): { host: string; port: number } | undefined {
  if (url === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.hostname.toLowerCase();
  if (host === '' || host.includes(',')) return undefined;
  const port = parsed.port === '' ? DEFAULT_POSTGRES_PORT : Number(parsed.port);
  return { host, port };
}

function reaches(address: TierAddress, target: { host: string; port: number }, namespace?: string): boolean {
  if (!address.ports.includes(target.port)) return false;
  if (!address.kubernetes) return address.hosts.includes(target.host);
  // name, name.namespace, name.namespace.svc, name.namespace.svc.<cluster domain>
  const [name, space, svc] = target.host.split('.');
  if (name === undefined || !address.hosts.includes(name)) return false;
  if (space === undefined) return address.namespace === undefined || namespace === address.namespace;
  if (address.namespace !== undefined && space !== address.namespace) return false;
  return svc === undefined || svc === 'svc';
}

function listenPort(tier: FoundPgbouncerTier): number {
  const port = Number(tier.ini.pgbouncer.listen_port);
  return Number.isSafeInteger(port) && port > 0 ? port : DEFAULT_PGBOUNCER_PORT;
}

/** Where the tier's bouncers are reached; `undefined` for a plain pgbouncer.ini (no address in the input). */
function tierAddress(
  tier: FoundPgbouncerTier,
  kubernetes: readonly { readonly object: unknown; readonly source: string }[],
  compose: readonly ComposeDocument[],
): TierAddress | undefined {
  const fileOf = (source: string): string => source.replace(/#\d+$/, '');
  const deployment = kubernetes
    .map(({ object, source }) => ({ object: asObject(object), source }))
    .find(
      ({ object, source }) =>
        object.kind === 'Deployment' &&
        asObject(object.metadata).name === tier.name &&
        fileOf(source) === tier.file,
    );
  if (deployment !== undefined) {
    const metadata = asObject(deployment.object.metadata);
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
    const labels = asObject(asObject(asObject(asObject(deployment.object.spec).template).metadata).labels);
    const services = kubernetes
      .map(({ object }) => asObject(object))
      .filter((object) => {
        if (object.kind !== 'Service') return false;
        const own = asObject(object.metadata).namespace;
        if (typeof own === 'string' && namespace !== undefined && own !== namespace) return false;
        const selector = Object.entries(asObject(asObject(object.spec).selector));
        return selector.length > 0 && selector.every(([key, value]) => labels[key] === value);
      });
    if (services.length === 0) {
      return { tier: tier.name, hosts: [tier.name], namespace, kubernetes: true, ports: [listenPort(tier)] };
    }
    return {
      tier: tier.name,
      hosts: services.map((service) => String(asObject(service.metadata).name)),
      namespace,
      kubernetes: true,
      ports: services.flatMap((service) =>
        asArray(asObject(service.spec).ports)
          .map((port) => asObject(port).port)
          .filter((port): port is number => typeof port === 'number'),
      ),
    };
  }
  const project = compose.find((candidate) => candidate.file === tier.file);
  const service = asObject(asObject(project?.document.services)[tier.name]);
  if (project === undefined) return undefined;
  const aliases = Object.values(asObject(service.networks)).flatMap((network) =>
    asArray(asObject(network).aliases).map(String),
  );
  const hosts = [tier.name, service.container_name, service.hostname, ...aliases].filter(
    (host): host is string => typeof host === 'string' && host !== '',
  );
  return { tier: tier.name, hosts, kubernetes: false, ports: [listenPort(tier)] };
}
