/** `--help` of `clientats-deploy` and its commands. */
import { INPUT_SIZE_CAP_BYTES } from '../readers/input-files.js';
import { COMMAND_OPTIONS, describeOption, type OptionName } from './cli-options.js';

const SUMMARY: Readonly<Record<string, string>> = {
  help: 'this help',
  version: 'print the version and exit',
  json: 'print JSON',
  markdown: 'print Markdown (for a CI job summary)',
  strict: 'enforce the strict case: terminating pods still connected (default: rollout)',
  preboot: 'Heroku preboot is on: web dynos double during a deploy',
  'ignore-connected': 'with --database-url: do not count the client backends connected now',
  nodes: 'nodes a DaemonSet (or a global Compose service) runs on',
};

const USAGE: Readonly<Record<string, string>> = {
  check:
    `clientats-deploy check [FILE|DIR|- ...] [--max-connections N | --provider NAME | --database-url URL] [options]
clientats-deploy check --replicas R --pool-size S [--pool-count C] [--max-overflow O] [--max-surge 25%] ` +
    `[--hpa-max M] --max-connections N

Sums every database client's worst-case connections against what the database allows:
  usable = max_connections − superuser_reserved − reserved_connections − provider reserved − headroom
  per_instance = POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + 1 readiness connection
  rollout = (replicas or HPA max + surge) × per_instance, summed over services
Reads Kubernetes YAML (Deployment, StatefulSet, ReplicaSet, DaemonSet with --nodes, Pod, Job, CronJob,
their HPAs and ConfigMaps), Compose files and Heroku app.json; any other object that connects is refused.
A consumer that does not run clientats-runtime has no readiness connection: mark it with the annotation
clientats.dev/runtime: "false" (Compose label dev.clientats.runtime, app.json "clientats": {"runtime": false}).
A synthesized dist/ names its databases in connection-budget.json; otherwise give the database.
Folders are walked following symlinks; a file reached twice (or through a loop) is read once.
A walk reads *.ini files with a [pgbouncer] or [databases] section as PgBouncer tiers (sized by the Compose
service or Deployment that mounts them, else --pgbouncer-replicas); other ini files are noted and skipped.
A lone - reads one YAML/JSON stream from standard input, once (helm template … | clientats-deploy check -);
a terminal on standard input is refused. Only regular files of at most ` +
    `${INPUT_SIZE_CAP_BYTES / 1024 / 1024} MiB are read:
a FIFO, socket or device, or a larger file, is refused by name. Every option is given at most once.
In a pull request: --baseline DIR (the base branch synthesized) adds what the change does per database and
consumer; --format github prints workflow commands that annotate the offending line (replicas, HPA maxReplicas,
POOL_SIZE). --json and --markdown are --format json and --format markdown. The format never changes the exit code.
Exit 0 fits, 1 over budget or a runtime check fails, 2 bad input.`,
  plan:
    'clientats-deploy plan --replicas R [--pool-count C] [--max-overflow O] [--max-surge 25%] [--hpa-max M] ' +
    `(--max-connections N | --provider NAME | --database-url URL)
clientats-deploy plan --solve hpa-max --pool-size S [...]

The largest POOL_SIZE (default) or HPA maxReplicas (--solve hpa-max) that fits, with the arithmetic.
Exit 0 found, 1 nothing fits, 2 bad input.`,
  providers: `clientats-deploy providers [--json]

Lists the provider presets usable with --provider, their max_connections, reserved slots and sources.
Presets marked "verify" come from secondary sources: confirm them with --database-url.`,
};

/** Help of one command, or of the whole CLI. */
export function helpText(command?: string): string {
  if (command === undefined || USAGE[command] === undefined) {
    return `clientats-deploy: prove every environment fits the database's max_connections

Commands:
  check      budget of manifests (files, directories such as dist/) or of one service given by flags
  plan       the largest POOL_SIZE or HPA maxReplicas that fits
  providers  list provider presets for --provider

Run clientats-deploy <command> --help for its options; clientats-deploy --version for the version.
`;
  }
  const options = COMMAND_OPTIONS[command].map(
    (name: OptionName) => `  --${name.padEnd(17)} ${SUMMARY[name] ?? describeOption(name)}`,
  );
  return `${USAGE[command]}\n\nOptions:\n${options.join('\n')}\n`;
}
