/**
 * The committed manifests in dist/ meet the workload security rules: every
 * credential from a Secret reference, non-root, read-only root file system, no
 * privilege escalation (see support/pod-security.ts for the full list).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { podSecurityViolations, podSpecOf, type KubernetesObject } from './support/pod-security.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

function manifests(): Array<{ file: string; objects: KubernetesObject[] }> {
  return readdirSync(DIST)
    .filter((file) => file.endsWith('.k8s.yaml'))
    .map((file) => ({
      file,
      objects: parseAllDocuments(readFileSync(join(DIST, file), 'utf8'))
        .map((document) => document.toJS() as KubernetesObject)
        .filter((object) => object !== null),
    }));
}

describe('security of the synthesized Kubernetes manifests', () => {
  it('has manifests with workloads to check', () => {
    const all = manifests();
    expect(all.length).toBeGreaterThan(0);
    for (const { file, objects } of all)
      expect({
        file,
        workloads: objects.filter((object) => podSpecOf(object) !== undefined).length > 0,
      }).toEqual({ file, workloads: true });
  });

  it(
    'takes DATABASE_URL from a Secret reference, runs non-root with a read-only root file system and ' +
      'no privilege escalation',
    () => {
      const violations = manifests().flatMap(({ file, objects }) =>
        objects.flatMap((object) => podSecurityViolations(object).map((line) => `${file}: ${line}`)),
      );
      expect(violations).toEqual([]);
      for (const { objects } of manifests()) {
        for (const object of objects) {
          // The app's containers (clientats-api) carry DATABASE_URL; others (a PgBouncer) read credentials from
          // mounted Secrets.
          const containers = (podSpecOf(object)?.containers ?? []).filter((container) =>
            String((container as { image?: unknown }).image).startsWith('clientats'),
          );
          for (const container of containers) {
            const url = (container.env ?? []).find((variable) => variable.name === 'DATABASE_URL');
            expect(url?.valueFrom?.secretKeyRef).toMatchObject({
              key: expect.any(String),
              name: expect.any(String),
            });
          }
        }
      }
    },
  );

  it(
    'fails the rules for a workload that runs as root, writes its root file system or carries a ' +
      'literal password',
    () => {
      const unsafe: KubernetesObject = {
        kind: 'Deployment',
        metadata: { name: 'unsafe' },
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'app',
                  env: [{ name: 'DATABASE_URL', value: 'postgres://app:hunter2@db/app' }],
                  securityContext: { runAsUser: 0 },
                },
              ],
            },
          },
        },
      };
      expect(podSecurityViolations(unsafe)).toEqual([
        'Deployment/unsafe: automountServiceAccountToken is not false',
        'Deployment/unsafe container app: runAsNonRoot is not true',
        'Deployment/unsafe container app: runAsUser is 0',
        'Deployment/unsafe container app: readOnlyRootFilesystem is not true',
        'Deployment/unsafe container app: allowPrivilegeEscalation is not false',
        'Deployment/unsafe container app: does not drop ALL capabilities',
        'Deployment/unsafe container app: DATABASE_URL is not taken from a Secret (literal value)',
        'Deployment/unsafe container app: DATABASE_URL holds a URL with credentials',
      ]);
    },
  );
});
