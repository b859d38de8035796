/**
 * `ComposeProject`: a `docker-compose.<env>.yml` running clientats-runtime as
 * service `app`, built on a base from `templates/compose/` (the development
 * base adds a PostgreSQL `db` service). The database URL is either a literal
 * (development only) or a Compose secret read through `DATABASE_URL_FILE`.
 * `HEALTH_CHECK_TOKEN` comes from a variable of the host's environment, which
 * `docker compose` refuses to start without.
 */
import { Construct } from 'constructs';
import { HEALTH_PATHS, type PoolShape } from 'clientats-runtime/contract';
import type { BudgetedWorkload, DatabaseDeclaration } from '../budget/budgeted-workload.js';
import { GENERATED_HEADER, type FileEmitter, type GeneratedFile } from '../emit/generated-file.js';
import {
  pgbouncerComposeFragment,
  type PgbouncerComposeOptions,
} from '../pgbouncer/pgbouncer-compose-service.js';
import { loadTemplate, mergeStructures } from '../emit/templates.js';
import { Yaml } from 'cdk8s';
import {
  DEFAULT_IMAGE,
  imageBuildCommands,
  imageProblems,
  insecureDatabaseNote,
  tlsProblems,
  TOKEN_GENERATOR,
  type InsecureDatabaseOptOut,
} from '../settings/deployment-image.js';
import { LIVENESS_PROBE_TIMING, shutdownGracePeriod } from '../settings/probe-timings.js';
import { presetValues, type PresetName } from '../settings/presets.js';
import {
  environmentProblems,
  integerSetting,
  renderedPoolShape,
  renderEnvironment,
  type EnvironmentValues,
  type RenderedEnvironment,
} from '../settings/rendered-environment.js';

/** Bases in `templates/compose/`. */
export type ComposeBase = 'development' | 'production';

/** A Compose secret whose value Compose reads from a variable of the host's environment at `up`. */
export interface ComposeSecretFromEnvironment {
  /** Secret name; the container sees it at `/run/secrets/<name>`. */
  readonly name: string;
  /** Host variable holding the value, e.g. `CLIENTATS_DATABASE_URL`. */
  readonly environment: string;
}

/** Properties of a `ComposeProject`. */
export interface ComposeProjectProps {
  /** The database the app connects to, as declared for the connection budget. */
  readonly database: DatabaseDeclaration;
  /** Base file in `templates/compose/`. */
  readonly base: ComposeBase;
  /** The guide's preset the variables start from. @default none: the contract's defaults */
  readonly preset?: PresetName;
  /** Variables of the app (over the preset); `DATABASE_URL` may be literal only outside production. @default {} */
  readonly environment?: EnvironmentValues;
  /**
   * Secret carrying the database URL, passed to the app as `DATABASE_URL_FILE`. @default none: the URL is in
   * `environment`
   */
  readonly databaseUrlSecret?: ComposeSecretFromEnvironment;
  /**
   * Service of the base that runs the declared database: its `max_connections` is set from the declaration.
   * @default none
   */
  readonly databaseService?: string;
  /** `deploy.replicas` of the app. @default unset (one container) */
  readonly replicas?: number;
  /** Compose project name. @default `clientats-<id>` */
  readonly projectName?: string;
  /**
   * A PgBouncer service in front of the database: the app gets DATABASE_POOLER=pgbouncer and waits for it
   * healthy; its DATABASE_URL must name `pgbouncer:<listen port>`. @default none: the app connects directly
   */
  readonly pgbouncer?: Omit<PgbouncerComposeOptions, 'databaseService'>;
  /** Image of the app, with a pinned tag. @default `DEFAULT_IMAGE` (what runtime/example/Dockerfile builds) */
  readonly image?: string;
  /**
   * Host variable `docker compose` reads `HEALTH_CHECK_TOKEN` from; required at `up`. @default
   * 'CLIENTATS_HEALTH_CHECK_TOKEN'
   */
  readonly healthCheckTokenVariable?: string;
  /** Connect without TLS although the base is production: the reason is printed by synth. @default none */
  readonly insecureDatabase?: InsecureDatabaseOptOut;
}

/** Name of the runtime's service in every Compose file. */
export const APP_SERVICE = 'app';

/** One Compose file, written as `docker-compose.<id>.yml`. */
export class ComposeProject extends Construct implements BudgetedWorkload, FileEmitter {
  public readonly projectName: string;
  /** Path of the file under the output directory. */
  public readonly fileName: string;
  /** Variables of the app service as written. */
  public readonly environment: RenderedEnvironment;
  /** The app's port: `PORT` of the environment, by default the contract's 4000. */
  public readonly port: number;
  public readonly replicas: number | undefined;
  /** `stop_grace_period` of the app: SHUTDOWN_DELAY_MS + SHUTDOWN_DRAIN_MS + 5 s. */
  public readonly stopGracePeriodSeconds: number;
  public readonly pool: PoolShape;
  public readonly budgetDatabase: DatabaseDeclaration;
  /** Image of the app service. */
  public readonly image: string;
  /** Host variable holding `HEALTH_CHECK_TOKEN`. */
  public readonly healthCheckTokenVariable: string;
  /** Lines synth prints for this project (e.g. a TLS opt-out and its reason). */
  public readonly synthNotes: readonly string[];
  private readonly props: ComposeProjectProps;

  constructor(scope: Construct, id: string, props: ComposeProjectProps) {
    super(scope, id);
    this.props = props;
    this.projectName = props.projectName ?? `clientats-${id}`;
    this.fileName = `docker-compose.${id}.yml`;
    this.budgetDatabase = props.database;
    this.replicas = props.replicas;
    this.image = props.image ?? DEFAULT_IMAGE;
    this.healthCheckTokenVariable = props.healthCheckTokenVariable ?? 'CLIENTATS_HEALTH_CHECK_TOKEN';
    this.synthNotes =
      props.insecureDatabase === undefined ? [] : [insecureDatabaseNote(id, props.insecureDatabase)];
    const secretFile =
      props.databaseUrlSecret === undefined
        ? {}
        : { DATABASE_URL_FILE: `/run/secrets/${props.databaseUrlSecret.name}` };
    // Production encrypts by default (verify-full); insecureDatabase opts out with a reason.
    const tls = props.insecureDatabase === undefined ? { DATABASE_SSL: 'verify-full' } : {};
    const production = props.base === 'production' ? { NODE_ENV: 'production', ...tls } : {};
    const pooler = props.pgbouncer === undefined ? {} : { DATABASE_POOLER: 'pgbouncer' };
    this.environment = renderEnvironment(
      production,
      presetValues(props.preset),
      secretFile,
      pooler,
      props.environment ?? {},
    );
    this.port = integerSetting(this.environment, 'PORT');
    this.stopGracePeriodSeconds = shutdownGracePeriod(this.environment).toSeconds();
    this.pool = renderedPoolShape(this.environment);
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** The Compose file: the base with the app's environment, port, healthcheck, secret and replicas merged in. */
  public generatedFiles(): readonly GeneratedFile[] {
    const base = loadTemplate(`compose/${this.props.base}.yml`);
    const secret = this.props.databaseUrlSecret;
    const liveness = LIVENESS_PROBE_TIMING;
    const token = this.healthCheckTokenVariable;
    const app = {
      image: this.image,
      // Pinned tag: use the local image, pull only when it is missing (the dev base builds it).
      pull_policy: this.props.base === 'development' ? undefined : 'missing',
      // Compose stops at `up` with this message when the host variable is unset.
      environment: {
        ...this.environment,
        HEALTH_CHECK_TOKEN: `\${${token}:?set ${token}, e.g. export ${token}=$$(${TOKEN_GENERATOR})}`,
      },
      ports: [`${this.port}:${this.port}`],
      healthcheck: {
        // The runtime image has Node.js but no curl: fetch the liveness path with it.
        test: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${this.port}${HEALTH_PATHS.liveness}').then((r) ` +
            '=> process.exit(r.ok ? 0 : 1), () => process.exit(1))',
        ],
        interval: `${liveness.period.toSeconds()}s`,
        timeout: `${liveness.timeout.toSeconds()}s`,
        retries: liveness.failureThreshold,
        start_period: `${liveness.initialDelay.toSeconds()}s`,
      },
      // Compose's default of 10 s would SIGKILL the runtime mid-drain.
      stop_grace_period: `${this.stopGracePeriodSeconds}s`,
      secrets: secret === undefined ? undefined : [secret.name],
      deploy: this.replicas === undefined ? undefined : { replicas: this.replicas },
    };
    const database = this.props.databaseService;
    const bouncer =
      this.props.pgbouncer === undefined
        ? undefined
        : pgbouncerComposeFragment({
            ...this.props.pgbouncer,
            ...(database === undefined ? {} : { databaseService: database }),
          });
    const overlay = {
      name: this.projectName,
      services: {
        [APP_SERVICE]: { ...app, depends_on: bouncer?.appDependsOn },
        ...bouncer?.services,
        ...(database === undefined
          ? {}
          : {
              [database]: {
                command: ['postgres', '-c', `max_connections=${this.budgetDatabase.maxConnections}`],
              },
            }),
      },
      secrets:
        secret === undefined && bouncer === undefined
          ? undefined
          : {
              ...(secret === undefined ? {} : { [secret.name]: { environment: secret.environment } }),
              ...bouncer?.secrets,
            },
      configs: bouncer?.configs,
    };
    // `name` first, as Compose files usually read.
    const document = mergeStructures({ name: undefined, ...base }, overlay);
    return [{ path: this.fileName, content: `${this.headerComment()}${Yaml.stringify(document)}` }];
  }

  /** The file's header: what must exist on the host before `docker compose up`, with the commands. */
  private headerComment(): string {
    const secret = this.props.databaseUrlSecret;
    const lines = [
      GENERATED_HEADER,
      `Service ${APP_SERVICE} runs ${this.image}; build it first: ${imageBuildCommands(this.image)}`,
      'REQUIRED on the host before `docker compose up` (compose refuses to start without them):',
      `  export ${this.healthCheckTokenVariable}="$(${TOKEN_GENERATOR})"`,
      ...(secret === undefined
        ? []
        : [`  export ${secret.environment}="<the database URL, password included>"`]),
      ...this.synthNotes,
    ];
    return lines.map((line) => `# ${line}\n`).join('');
  }

  private problems(): string[] {
    const problems = [
      ...environmentProblems(this.environment, {
        suppliedElsewhere: { HEALTH_CHECK_TOKEN: `host variable ${this.healthCheckTokenVariable}` },
      }),
      ...tlsProblems(this.environment, this.props.insecureDatabase),
      ...imageProblems(this.image),
    ];
    if (!/^[A-Z_][A-Z0-9_]*$/.test(this.healthCheckTokenVariable)) {
      problems.push(
        'healthCheckTokenVariable must be an environment variable name (A-Z, 0-9, _), ' +
          `got ${JSON.stringify(this.healthCheckTokenVariable)}`,
      );
    }
    const { replicas, databaseService } = this.props;
    if (replicas !== undefined && !(Number.isSafeInteger(replicas) && replicas >= 1)) {
      problems.push(`replicas must be an integer >= 1, got ${replicas}`);
    }
    if (databaseService !== undefined) {
      const services = (loadTemplate(`compose/${this.props.base}.yml`).services ?? {}) as Record<
        string,
        unknown
      >;
      if (!(databaseService in services)) {
        problems.push(
          `databaseService must name a service of templates/compose/${this.props.base}.yml (` +
            `${Object.keys(services).join(', ')}), got "${databaseService}"`,
        );
      }
    }
    return problems;
  }
}
