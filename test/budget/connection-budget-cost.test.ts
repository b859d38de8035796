import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { DatabaseDeclaration } from '../../src/budget/budgeted-workload.js';
import { addConnectionBudget } from '../../src/budget/connection-budget-validation.js';
import { PostgresBackedService } from '../../src/kubernetes/postgres-backed-service.js';
import { synthesize, validationProblems } from '../../src/synthesize.js';

/** `count` services, each in its own chart on its own 100-connection database (as runtime/bench/synth-services.ts). */
function appWithServices(outdir: string, count: number): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  for (let index = 0; index < count; index += 1) {
    new PostgresBackedService(new Chart(app, `service-${index}`), `service-${index}`, {
      database: { name: `service-${index}-db`, maxConnections: 100 },
      preset: 'small',
      replicas: 2,
    });
  }
  return app;
}

function apiObjectCount(app: App): number {
  return app.node.findAll().filter((construct) => ApiObject.isApiObject(construct)).length;
}

describe('connection budget cost', () => {
  const directories: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('renders each object a bounded number of times per synth, however many workloads share the app', () => {
    const rendered: number[] = [];
    for (const count of [4, 16]) {
      const outdir = mkdtempSync(join(tmpdir(), 'budget-cost-'));
      directories.push(outdir);
      const app = appWithServices(outdir, count);
      addConnectionBudget(app);
      const toJson = vi.spyOn(ApiObject.prototype, 'toJson');
      expect(synthesize(app).length).toBe(count);
      // synth renders every object once for its file; the budget reads each Deployment (and its chart's
      // ConfigMaps, autoscaler) once more. Re-evaluating per workload or per pass multiplies this by N or more.
      expect(toJson.mock.calls.length).toBeGreaterThanOrEqual(apiObjectCount(app));
      expect(toJson.mock.calls.length).toBeLessThanOrEqual(2 * apiObjectCount(app));
      rendered.push(toJson.mock.calls.length);
      vi.restoreAllMocks();
    }
    // Four times the workloads, four times the renders: linear.
    expect(rendered[1]).toBe(4 * rendered[0]);
  });

  it('reports a violation introduced after an earlier validation of the same app, as a fresh app would', () => {
    const database: DatabaseDeclaration = { name: 'shared-db', maxConnections: 100 };
    const declare = (app: App, count: number): void => {
      for (let index = 0; index < count; index += 1) {
        new PostgresBackedService(new Chart(app, `web-${index}`), 'clientats', { database, preset: 'medium', replicas: 3 });
      }
    };
    const app = new App({ outdir: 'unused' });
    declare(app, 1);
    addConnectionBudget(app);
    expect(validationProblems(app)).toEqual([]);
    new PostgresBackedService(new Chart(app, 'web-1'), 'clientats', { database, preset: 'medium', replicas: 3 });
    addConnectionBudget(app);
    const fresh = new App({ outdir: 'unused' });
    declare(fresh, 2);
    addConnectionBudget(fresh);
    const expected = validationProblems(fresh);
    expect(expected).toHaveLength(1);
    expect(validationProblems(app)).toEqual(expected);
  });
});
