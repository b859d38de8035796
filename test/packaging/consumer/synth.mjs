// A team's own cdk8s app, as it would be written against the installed packages.
import { App, Chart } from 'cdk8s';
import { PostgresBackedService, synthesize } from 'clientats-deploy';
import { createPool } from 'clientats-runtime';

const app = new App({ outdir: process.argv[2] });
new PostgresBackedService(new Chart(app, 'staging'), 'shop', {
  database: { name: 'shop-db', maxConnections: 100 },
  preset: 'small',
  replicas: 2,
});
const { files, report } = synthesize(app); // validate, render, budget, then write everything (or throw SynthError)
console.log(JSON.stringify({ files, fits: report.fits, createPool: typeof createPool }));
