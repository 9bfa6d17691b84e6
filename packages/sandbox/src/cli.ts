/*
 * `npm run sandbox -- <command>`: up | down [--purge] | status [--json] | info |
 * release <app> [--cluster C] [--namespace N] [--error-rate R] [--latency-ms L] |
 * stop-component <cluster> <component> | start-component <cluster> <component>
 */
import {
  CLUSTER_NAMES,
  ClusterName,
  COMPONENTS,
  ComponentName,
  isClusterName,
  isComponentName,
} from './config';
import {
  printStatus,
  readSandboxInfo,
  release,
  sandboxDown,
  sandboxStatus,
  sandboxUp,
  startComponent,
  stopComponent,
} from './sandbox';

export const USAGE = `usage: npm run sandbox -- <command>
  up                                  build/reuse binaries, start both clusters, apply CRDs, RBAC and sample apps
  down [--purge]                      stop every sandbox process (by PID); --purge also deletes .sandbox/{dev,prod}
  status [--json]                     health of each component (exit 1 if something is unhealthy)
  info                                print the sandbox description (JSON) used by tests
  release <app> [--cluster dev|prod] [--namespace tap-apps] [--error-rate 0..1] [--latency-ms N]
                                      ship a new revision of an app (new image + behaviour annotations)
  stop-component <cluster> <component>
  start-component <cluster> <component>
components: ${COMPONENTS.join(', ')}; clusters: ${CLUSTER_NAMES.join(', ')}`;

export type Command =
  | { command: 'up' }
  | { command: 'down'; purge: boolean }
  | { command: 'status'; json: boolean }
  | { command: 'info' }
  | { command: 'help' }
  | {
      command: 'release';
      app: string;
      cluster: ClusterName;
      namespace?: string;
      errorRate: number;
      latencyMs: number;
    }
  | {
      command: 'stop-component' | 'start-component';
      cluster: ClusterName;
      component: ComponentName;
    };

/** Parses the command line (without `node cli.ts`). Throws with a readable message on bad input. */
export function parseArgs(argv: string[]): Command {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2);
      if (inline !== undefined) flags[key] = inline;
      else if (['purge', 'json', 'help'].includes(key)) flags[key] = true;
      else if (i + 1 < argv.length) flags[key] = argv[++i];
      else throw new Error(`--${key} needs a value`);
    } else if (arg === '-h') {
      flags.help = true;
    } else {
      positional.push(arg);
    }
  }
  const [command, ...rest] = positional;
  if (flags.help || !command || command === 'help') return { command: 'help' };
  const allowed: Record<string, string[]> = {
    up: [],
    down: ['purge'],
    status: ['json'],
    info: [],
    release: ['cluster', 'namespace', 'error-rate', 'latency-ms'],
    'stop-component': [],
    'start-component': [],
  };
  if (!(command in allowed)) throw new Error(`unknown command "${command}"`);
  for (const key of Object.keys(flags)) {
    if (!allowed[command].includes(key))
      throw new Error(`unknown option --${key} for ${command}`);
  }
  const number = (key: string, fallback: number, min: number, max: number) => {
    const raw = flags[key];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (
      raw === true ||
      raw === '' ||
      !Number.isFinite(n) ||
      n < min ||
      n > max
    ) {
      throw new Error(
        `--${key} must be a number within ${min}..${max}, got "${raw}"`,
      );
    }
    return n;
  };
  const cluster = (value: string | true | undefined): ClusterName => {
    const v = value === undefined ? 'dev' : String(value);
    if (!isClusterName(v))
      throw new Error(`unknown cluster "${v}" (${CLUSTER_NAMES.join(', ')})`);
    return v;
  };
  switch (command) {
    case 'up':
    case 'info':
      if (rest.length) throw new Error(`${command} takes no arguments`);
      return { command };
    case 'down':
      return { command, purge: flags.purge === true };
    case 'status':
      return { command, json: flags.json === true };
    case 'release': {
      if (rest.length !== 1)
        throw new Error('release needs exactly one app name');
      return {
        command,
        app: rest[0],
        cluster: cluster(flags.cluster),
        namespace:
          typeof flags.namespace === 'string' ? flags.namespace : undefined,
        errorRate: number('error-rate', 0, 0, 1),
        latencyMs: number('latency-ms', 20, 0, 600_000),
      };
    }
    default: {
      if (rest.length !== 2)
        throw new Error(`${command} needs <cluster> <component>`);
      const component = rest[1];
      if (!isComponentName(component)) {
        throw new Error(
          `unknown component "${component}" (${COMPONENTS.join(', ')})`,
        );
      }
      return {
        command: command as 'stop-component' | 'start-component',
        cluster: cluster(rest[0]),
        component,
      };
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseArgs(argv);
  } catch (e: any) {
    console.error(`sandbox: ${e.message}\n${USAGE}`);
    return 2;
  }
  switch (cmd.command) {
    case 'help':
      console.log(USAGE);
      return 0;
    case 'up':
      await sandboxUp();
      return 0;
    case 'down':
      await sandboxDown({ purge: cmd.purge });
      return 0;
    case 'status': {
      const report = await sandboxStatus();
      if (cmd.json) console.log(JSON.stringify(report, null, 2));
      else printStatus(report);
      return report.healthy ? 0 : 1;
    }
    case 'info': {
      const info = readSandboxInfo();
      if (!info) {
        console.error('sandbox: not up');
        return 1;
      }
      console.log(JSON.stringify(info, null, 2));
      return 0;
    }
    case 'release': {
      const r = await release(cmd.app, cmd);
      console.log(
        `released ${r.namespace}/${r.app} revision ${r.revision} (${r.image}) in ${r.cluster}: error rate ${r.errorRate}, latency ${r.latencyMs} ms`,
      );
      console.log(
        `watch it: npm run sandbox -- status, or the canary ${r.namespace}/${r.app} in the portal`,
      );
      return 0;
    }
    case 'stop-component': {
      const result = await stopComponent(cmd.cluster, cmd.component);
      console.log(`${cmd.cluster} ${cmd.component}: ${result}`);
      return 0;
    }
    case 'start-component': {
      const result = await startComponent(cmd.cluster, cmd.component);
      console.log(`${cmd.cluster} ${cmd.component}: ${result}, healthy`);
      return 0;
    }
    default:
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    code => process.exit(code),
    err => {
      const refused = err?.code === 'ECONNREFUSED';
      console.error(
        `sandbox: ${
          process.env.PD_SANDBOX_DEBUG ? err?.stack : err?.message ?? err
        }${
          refused ? '\n(is the sandbox up? `npm run sandbox -- status`)' : ''
        }`,
      );
      process.exit(1);
    },
  );
}
