/* The idle backend with no cluster: what each row's memory is counted above. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_NAMES, SandboxInfo } from '@progressive-delivery/sandbox';
import { BackendProcess } from './backend/BackendProcess';
import { benchAppConfig } from './benchConfig';
import { BaselineFigures } from './figures';
import { log, sleep } from './log';
import { PortalClient } from './portalClient';
import { round } from './stats';

/** The sandbox's own credentials for app-config.yaml's substitutions (its clusters are replaced). */
export function sandboxCredentialsEnv(
  info: SandboxInfo,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const server of CLUSTER_NAMES) {
    const upper = server.toUpperCase();
    env[`PD_SANDBOX_${upper}_TOKEN`] = readFileSync(
      info.clusters[server].tokenFile,
      'utf8',
    ).trim();
    env[`PD_SANDBOX_${upper}_CA_DATA`] = readFileSync(
      info.clusters[server].caBase64File,
      'utf8',
    ).trim();
  }
  return env;
}

/**
 * The backend with no cluster at all, once settled, after a full GC: what a row's memory is
 * counted above. Undefined (and said) when it could not be measured.
 */
export async function measureBaseline(options: {
  info: SandboxInfo;
  workDir: string;
  catalogFile: string;
  port: number;
  entityRef: string;
  metricsRefreshSeconds: number;
  settleMs: number;
}): Promise<BaselineFigures | undefined> {
  const { info, workDir, catalogFile, port } = options;
  const dir = join(workDir, 'baseline');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'db'), { recursive: true });
  const configFile = join(dir, 'app-config.bench.yaml');
  writeFileSync(
    configFile,
    JSON.stringify(
      benchAppConfig({
        port,
        clusters: [],
        catalogFiles: [join(info.repoRoot, 'catalog-info.yaml'), catalogFile],
        replacedClusters: [...CLUSTER_NAMES],
        metricsRefreshSeconds: options.metricsRefreshSeconds,
      }),
      null,
      2,
    ),
  );
  log('baseline: the backend with no cluster');
  let backend: BackendProcess | undefined;
  try {
    backend = await BackendProcess.start({
      repoRoot: info.repoRoot,
      port,
      configFiles: [join(info.repoRoot, 'app-config.yaml'), configFile],
      dataDir: join(dir, 'db'),
      logFile: join(dir, 'backend.log'),
      env: sandboxCredentialsEnv(info),
    });
    const portal = new PortalClient(backend.url);
    await portal.signIn();
    await portal.waitForEntity(options.entityRef);
    await sleep(options.settleMs);
    const memory = await backend.measure({ collectGarbage: true });
    const figures = {
      heapMb: round(memory.heapUsedMb, 1),
      rssMb: round(memory.rssMb, 1),
      cpuSeconds: round(memory.cpuSeconds, 1),
    };
    log(
      `  heap ${figures.heapMb} MB, RSS ${figures.rssMb} MB, ${figures.cpuSeconds} CPU-s to start and settle`,
    );
    return figures;
  } catch (error) {
    log(`  baseline not measured: ${(error as Error).message}`);
    return undefined;
  } finally {
    await backend?.stop();
  }
}
