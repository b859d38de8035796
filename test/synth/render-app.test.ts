import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HerokuApp } from '../../src/heroku/heroku-app.js';
import { PostgresBackedService } from '../../src/kubernetes/postgres-backed-service.js';
import { renderApp } from '../../src/synth/render-app.js';

const DATABASE = { name: 'db', maxConnections: 100 };

function appWithServices(count: number): App {
  const app = new App({ outdir: 'unused', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  for (let index = 0; index < count; index += 1) {
    new PostgresBackedService(new Chart(app, `service-${index}`), 'clientats', {
      database: DATABASE,
      preset: 'small',
      replicas: 2,
    });
  }
  return app;
}

describe('renderApp', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('renders every object exactly once, however many workloads share the app', () => {
    for (const count of [4, 16]) {
      const app = appWithServices(count);
      const objects = app.node.findAll().filter((construct) => ApiObject.isApiObject(construct)).length;
      const toJson = vi.spyOn(ApiObject.prototype, 'toJson');
      expect(renderApp(app).files).toHaveLength(count);
      expect(toJson.mock.calls.length).toBe(objects);
      vi.restoreAllMocks();
    }
  });

  it("names each workload's file, objects and environment", () => {
    const app = appWithServices(1);
    new HerokuApp(app, 'clientats-prod', { database: DATABASE, environment: { DATABASE_SSL: 'require' } });
    const rendered = renderApp(app);
    expect(rendered.files.map((file) => file.path)).toEqual([
      'service-0.k8s.yaml',
      'heroku/clientats-prod/app.json',
      'heroku/clientats-prod/Procfile',
      'heroku/clientats-prod/config.sh',
    ]);
    expect(
      rendered.workloads.map(({ files, objects, environment }) => ({ files, objects, environment })),
    ).toEqual([
      {
        files: ['service-0.k8s.yaml'],
        environment: 'service-0',
        objects: ['Deployment/clientats', 'Service/clientats', 'PodDisruptionBudget/clientats'],
      },
      {
        files: [
          'heroku/clientats-prod/app.json',
          'heroku/clientats-prod/Procfile',
          'heroku/clientats-prod/config.sh',
        ],
        objects: [],
        environment: 'clientats-prod',
      },
    ]);
  });

  it('fails when the app writes other than one file per chart', () => {
    const app = new App({ outdir: 'unused', yamlOutputType: YamlOutputType.FILE_PER_APP });
    expect(() => renderApp(app)).toThrow(
      'synth writes one file per chart: create the App with yamlOutputType FILE_PER_CHART, got FILE_PER_APP',
    );
  });
});
