/**
 * `consumerLockfile(repositoryLock, root, tarballs)`: a package-lock.json for a
 * project that installs the packed tarballs, with every other package pinned to
 * the entry the repository's own lockfile has. `npm ci --offline` then installs
 * it from the npm cache that the repository's `npm ci` filled: no registry
 * metadata is needed (an `npm install` of the tarballs would ask the registry
 * for every range).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One `packages` entry of a v3 lockfile (only the fields read here are typed). */
export interface LockEntry {
  readonly version?: string;
  readonly link?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
  readonly [field: string]: unknown;
}

/** The parts of a v3 package-lock.json used here. */
export interface Lockfile {
  readonly lockfileVersion: number;
  readonly packages: Readonly<Record<string, LockEntry>>;
}

/** A packed package: its tarball and the package.json inside it. */
export interface PackedPackage {
  /** Path of the tarball relative to the consumer project (`file:` spec). */
  readonly relativePath: string;
  readonly absolutePath: string;
  readonly manifest: LockEntry & { readonly name: string; readonly version: string };
}

/** Where Node finds `name` from the package installed at `from` (`''` is the project itself). */
function locate(
  packages: Readonly<Record<string, LockEntry>>,
  from: string,
  name: string,
): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

/**
 * Dependency names of an entry; `required` is false for optional and peer dependencies (may be absent).
 * Optional peers (`peerDependenciesMeta`) are left out: npm installs them only when another package
 * depends on them.
 */
function dependencyNames(entry: LockEntry): { name: string; required: boolean }[] {
  const peers = Object.keys(entry.peerDependencies ?? {}).filter(
    (name) => entry.peerDependenciesMeta?.[name]?.optional !== true,
  );
  const optional = [...Object.keys(entry.optionalDependencies ?? {}), ...peers];
  const required = Object.keys(entry.dependencies ?? {}).filter((name) => !optional.includes(name));
  return [
    ...required.map((name) => ({ name, required: true })),
    ...optional.map((name) => ({ name, required: false })),
  ];
}

function integrityOf(path: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(path)).digest('base64')}`;
}

/**
 * The consumer's lockfile: `root` is its package.json (`dependencies` name the
 * tarballs with `file:` specs and other packages with ranges the repository's
 * lockfile satisfies).
 * @throws Error naming a dependency the repository's lockfile does not hold.
 */
export function consumerLockfile(
  repositoryLock: Lockfile,
  root: LockEntry & { readonly name: string },
  tarballs: readonly PackedPackage[],
): Lockfile {
  const packages: Record<string, LockEntry> = {};
  for (const [path, entry] of Object.entries(repositoryLock.packages)) {
    if (path.startsWith('node_modules/') && entry.link !== true) packages[path] = entry;
  }
  for (const { relativePath, absolutePath, manifest } of tarballs) {
    const { name, version, dependencies, optionalDependencies, bin, engines, license } = manifest;
    const { peerDependencies, peerDependenciesMeta } = manifest;
    packages[`node_modules/${name}`] = {
      version,
      resolved: `file:${relativePath}`,
      integrity: integrityOf(absolutePath),
      ...{
        license,
        dependencies,
        optionalDependencies,
        peerDependencies,
        peerDependenciesMeta,
        bin,
        engines,
      },
    };
  }
  const kept: Record<string, LockEntry> = { '': root };
  const pending: string[] = [''];
  while (pending.length > 0) {
    const from = pending.pop()!;
    for (const { name, required } of dependencyNames(kept[from]!)) {
      const path = locate(packages, from, name);
      if (path === undefined) {
        if (!required) continue;
        throw new Error(
          `the repository's package-lock.json has no "${name}" for "${from || root.name}"; run npm install`,
        );
      }
      if (kept[path] === undefined) {
        kept[path] = packages[path]!;
        pending.push(path);
      }
    }
  }
  return { lockfileVersion: 3, packages: kept, ...{ name: root.name, requires: true } };
}
