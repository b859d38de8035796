/**
 * Synthesizes N generated Kubernetes services (the generator's
 * `PostgresBackedService`, each on its own 100-connection database, presets
 * in turn) with the connection budget, into the directory given:
 * `tsx test/bench/synth-services.ts <outdir> [count]`. The generator bench
 * times this script end to end, like `npm run synth`.
 */
import { App, Chart, YamlOutputType } from 'cdk8s';
import { PostgresBackedService } from '../../src/kubernetes/postgres-backed-service.js';
import { synthesize } from '../../src/synth/synthesize.js';

const PRESETS = ['small', 'medium', 'kubernetes'] as const;

/** Declares `count` services on `app`. */
export function declareServices(app: App, count: number): void {
  for (let index = 0; index < count; index += 1) {
    const preset = PRESETS[index % PRESETS.length]!;
    new PostgresBackedService(new Chart(app, `service-${index}`), `service-${index}`, {
      database: { name: `service-${index}-db`, maxConnections: 100 },
      preset,
      replicas: preset === 'kubernetes' ? 2 : 3,
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
  }
}

function main(): void {
  const [outdir, countText = '50'] = process.argv.slice(2);
  const count = Number(countText);
  if (outdir === undefined || !Number.isInteger(count) || count < 1) {
    process.stderr.write(
      `usage: tsx test/bench/synth-services.ts <outdir> [count >= 1], got ${JSON.stringify(process.argv.slice(2))}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  declareServices(app, count);
  const { files } = synthesize(app);
  process.stdout.write(`synthesized ${files.length} files for ${count} services into ${outdir}\n`);
}

main();
