/**
 * The PgBouncer part of the reader dispatcher: collects the tiers of every
 * input (a ConfigMap holding `pgbouncer.ini` with the Deployment that mounts
 * it, a Compose service with the ini as an inline config, or a plain
 * `pgbouncer.ini` given by name with `--pgbouncer-replicas N`). Every problem
 * becomes one `InputError` line.
 */
import { bouncerPoolsFromIni } from '../pgbouncer/bouncer-pools-from-ini.js';
import { parsePgbouncerIni } from '../pgbouncer/pgbouncer-ini.js';
import {
  readComposePgbouncerTiers,
  readKubernetesPgbouncerTiers,
  type PgbouncerTier,
} from '../pgbouncer/read-pgbouncer-tier.js';
import type { SourcedObject } from './kubernetes-manifests.js';
import { InputError } from './manifest-input.js';

/** A tier and the file it was found in. */
export type FoundPgbouncerTier = PgbouncerTier;

/** Collects tiers while the dispatcher walks its inputs. */
export interface PgbouncerTierCollector {
  readonly found: FoundPgbouncerTier[];
  ini(file: string, text: string): void;
  compose(document: unknown, file: string): void;
  kubernetes(objects: readonly SourcedObject[]): void;
}

/** A collector; `pgbouncerReplicas` sizes a plain ini (which does not say how many bouncers run it). */
export function readPgbouncerTiers(options: { readonly pgbouncerReplicas?: number }): PgbouncerTierCollector {
  const found: FoundPgbouncerTier[] = [];
  return {
    found,
    ini(file, text) {
      const replicas = options.pgbouncerReplicas;
      if (replicas === undefined) {
        throw new InputError(
          `${file}: a pgbouncer.ini does not say how many bouncers run it: ` +
            'give the count with --pgbouncer-replicas N (pods incl. HPA max; surge is not added)',
        );
      }
      const ini = asInputError(() => parsePgbouncerIni(text, file));
      found.push({
        name: file.replace(/^.*\//, '').replace(/\.ini$/, ''),
        source: file,
        file,
        ini,
        pools: asInputError(() => bouncerPoolsFromIni(ini, { source: file })),
        fleet: { replicas, strategy: { type: 'Recreate' } },
      });
    },
    compose(document, file) {
      found.push(...asInputError(() => readComposePgbouncerTiers(document, file)));
    },
    kubernetes(objects) {
      found.push(...asInputError(() => readKubernetesPgbouncerTiers(objects)));
    },
  };
}

function asInputError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError((error as Error).message, { cause: error });
  }
}
