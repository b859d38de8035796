/**
 * The ClientATS environments: every configuration example of the guide, each
 * with the database it connects to. `npm run synth` (or `npx cdk8s synth`,
 * which sets CDK8S_OUTDIR) writes them to dist/. Where a guide example does
 * not fit its database, the fix is here with the reason.
 */
import { App, Chart, YamlOutputType } from 'cdk8s';
import type { DatabaseDeclaration } from './budget/budgeted-workload.js';
import { findProvider, providerLimits } from './budget/providers.js';
import { ComposeProject } from './compose/compose-project.js';
import { HerokuApp } from './heroku/heroku-app.js';
import { PostgresBackedService } from './kubernetes/postgres-backed-service.js';
import { bouncedEnvironment } from './pgbouncer/bounced-environment.js';
import { SynthError, synthesize } from './synth/synthesize.js';

/** A self-managed PostgreSQL with the default `max_connections` (the guide: "typically 100-200"). */
function defaultPostgres(name: string): DatabaseDeclaration {
  return { name, maxConnections: 100 };
}

/** A managed database whose limits come from a provider preset (`clientats-deploy providers` lists them). */
function providerDatabase(name: string, preset: string): DatabaseDeclaration {
  const found = findProvider(preset);
  if (found === undefined)
    throw new SynthError([
      `unknown provider preset ${JSON.stringify(preset)}: list them with clientats-deploy providers`,
    ]);
  return providerLimits(found, name);
}

const app = new App({
  outdir: process.env.CDK8S_OUTDIR ?? 'dist',
  yamlOutputType: YamlOutputType.FILE_PER_CHART,
});

// Declarations sit inside the try: a user error in them (e.g. an unknown preset) is one line, not a stack trace.
try {
  // The guide's presets, one Kubernetes environment each.
  new PostgresBackedService(new Chart(app, 'small'), 'clientats', {
    database: defaultPostgres('clientats-small-db'),
    preset: 'small',
    replicas: 1,
  });
  new PostgresBackedService(new Chart(app, 'medium'), 'clientats', {
    database: defaultPostgres('clientats-medium-db'),
    preset: 'medium',
    replicas: 3,
  });
  // 61 connections per pod: more than a 100-connection server gives two pods, so "large" runs on Aurora.
  new PostgresBackedService(new Chart(app, 'large'), 'clientats', {
    database: providerDatabase('clientats-large-db', 'aws-aurora:db.r6g.large'),
    preset: 'large',
    autoscaling: { minReplicas: 3, maxReplicas: 8 },
  });

  // The guide's "Kubernetes Deployment" example: the kubernetes preset, 3 replicas. Not its clientats:latest
  // with imagePullPolicy Always: every environment runs the pinned image runtime/example/Dockerfile builds.
  // Fix: the guide counts 3 pods × (10 + 3) = 39, ignoring its own POOL_COUNT=2. Each pod holds up to
  // 2 × (10 + 3) + 1 readiness = 27, so 3 pods hold 81, and the default 25 % surge adds a fourth pod
  // during every rollout: 108 > 97 usable on a 100-connection server. Roll one pod at a time instead.
  new PostgresBackedService(new Chart(app, 'kubernetes'), 'clientats', {
    database: defaultPostgres('clientats-db'),
    preset: 'kubernetes',
    replicas: 3,
    // Operators reach /health/diagnostics with this token; it never appears in a manifest.
    healthCheckTokenSecret: { name: 'clientats-health', key: 'HEALTH_CHECK_TOKEN' },
    rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
  });

  // The guide's scaling plan "for 10 pods": POOL_SIZE=8, POOL_COUNT=1, MAX_OVERFLOW=2, "10 pods × (8 + 2) = 100".
  // Fix: 100 is the whole server; 3 slots are reserved for superusers, each pod also holds its readiness
  // connection, and a surge pod would make 11. With no surge and 7 + 1 per pool: 10 × (7 + 1 + 1) = 90 ≤ 97.
  new PostgresBackedService(new Chart(app, 'kubernetes-autoscaled'), 'clientats', {
    database: defaultPostgres('clientats-autoscaled-db'),
    preset: 'kubernetes',
    environment: { POOL_SIZE: 7, POOL_COUNT: 1, MAX_OVERFLOW: 1 },
    autoscaling: { minReplicas: 3, maxReplicas: 10 },
    rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
  });

  // ---- PgBouncer block (owned by the PgBouncer wiring; see src/pgbouncer/bounced-environment.ts) ----
  // The guide's "10 pods × (8 + 2)" again, through PgBouncer: the app keeps POOL_SIZE=8, MAX_OVERFLOW=2 and
  // autoscales to 40 pods (50 with surge × 11 = 550 client connections), while PostgreSQL sees only
  // 3 bouncer pods (2 + 1 surge) × 25 server connections = 75 ≤ 97 usable.
  bouncedEnvironment(new Chart(app, 'kubernetes-pgbouncer'), {
    database: defaultPostgres('clientats-bounced-db'),
  });
  // ---- end of PgBouncer block ----

  // The guide's "Docker Compose (Development)": the app and a local PostgreSQL. The password is the
  // local container's own (templates/compose/development.yml), not a production secret.
  new ComposeProject(app, 'dev', {
    database: defaultPostgres('clientats-dev-db'),
    base: 'development',
    databaseService: 'db',
    environment: {
      DATABASE_URL: 'ecto://postgres:postgres@db:5432/clientats_dev',
      POOL_SIZE: 5,
      MAX_OVERFLOW: 2,
      POOL_TIMEOUT: 5000,
    },
  });

  // The guide's "Docker Compose (Staging/Production)", except the URL: the guide writes the password
  // into the file; here Compose reads it from CLIENTATS_DATABASE_URL on the host into a secret.
  new ComposeProject(app, 'prod', {
    database: defaultPostgres('clientats-prod-db'),
    base: 'production',
    databaseUrlSecret: { name: 'database_url', environment: 'CLIENTATS_DATABASE_URL' },
    environment: { POOL_SIZE: 15, POOL_COUNT: 2, MAX_OVERFLOW: 5, POOL_TIMEOUT: 8000, DATABASE_SSL: true },
  });

  // The guide's "Heroku Deployment" (heroku config:set … -a clientats-prod), except DATABASE_SSL:
  // Heroku Postgres requires TLS but its certificates do not verify against the dyno's CAs, so the
  // guide's `true` (verify-full) would refuse to connect; `require` encrypts without verifying.
  // Two dynos with preboot hold 2 × 2 × (12 + 4 + 1) = 68 during a deploy, within standard-0's 120.
  new HerokuApp(app, 'clientats-prod', {
    database: providerDatabase('clientats-prod-heroku-db', 'heroku:standard-0'),
    environment: {
      POOL_SIZE: 12,
      POOL_COUNT: 1,
      MAX_OVERFLOW: 4,
      POOL_TIMEOUT: 8000,
      DATABASE_SSL: 'require',
    },
    dynos: 2,
    preboot: true,
  });

  // More dynos than standard-0 can serve directly, through Heroku's PgBouncer buildpack: each dyno opens
  // 1 × (10 + 5) + 1 = 16 connections, so 10 dynos with preboot (20 during a deploy) would need 320 of the
  // plan's 117 usable (120 − 3 reserved). Behind a bouncer inside every dyno the runtime's 16 connections
  // share 4 + 1 reserve server connections: 20 dynos × 5 = 100 ≤ 117, and 16 ≤ max_client_conn 100 per dyno.
  new HerokuApp(app, 'clientats-bounced', {
    database: providerDatabase('clientats-bounced-heroku-db', 'heroku:standard-0'),
    environment: { POOL_SIZE: 10, POOL_COUNT: 1, MAX_OVERFLOW: 5, POOL_TIMEOUT: 8000 },
    dynos: 10,
    preboot: true,
    pgbouncer: { defaultPoolSize: 4, reservePoolSize: 1, maxClientConn: 100, poolMode: 'transaction' },
  });

  // Render, read back, budget, write: see src/synth/synthesize.ts.
  const { files } = synthesize(app);
  console.log(`synthesized ${files.length} manifests, configs and budget reports into ${app.outdir}/`);
  // Explicit choices someone should see, e.g. an environment that connects without TLS and why.
  for (const construct of app.node.findAll()) {
    const notes = (construct as { synthNotes?: unknown }).synthNotes;
    if (Array.isArray(notes)) for (const note of notes) console.log(String(note));
  }
} catch (error) {
  if (!(error instanceof SynthError)) throw error;
  // A user error: one line per problem, no stack trace.
  console.error(error.message);
  process.exitCode = 1;
}
