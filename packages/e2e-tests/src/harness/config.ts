import { ClusterName, SandboxInfo } from '@progressive-delivery/sandbox';

export interface FaultConfigOptions {
  /** The API server URL the backend uses per cluster (e.g. a proxy); default the sandbox's. */
  apiServerUrls?: Partial<Record<ClusterName, string>>;
  /** The Prometheus URL the backend uses per cluster; default the sandbox's. */
  prometheusUrls?: Partial<Record<ClusterName, string>>;
  /** Further catalog files (absolute paths) besides the repository's catalog-info.yaml. */
  catalogFiles?: string[];
  prometheusTimeout?: string;
  prometheusRefreshInterval?: string;
  maxBackoff?: string;
  /** `progressiveDelivery.limits.streamsPerPrincipal`; default the backend's (20). */
  streamsPerPrincipal?: number;
  /** `progressiveDelivery.clusters.<name>.webhooks.secret` per cluster; default none. */
  webhookSecrets?: Partial<Record<ClusterName, string>>;
}

/**
 * Configuration (YAML, appended after the `backend:` block) for a backend under fault tests:
 * short Prometheus timeout and refresh, short reconnect backoff, and the clusters' URLs as the
 * test wants them. Credentials still come from the PD_SANDBOX_* variables.
 */
export function faultConfig(
  info: SandboxInfo,
  repoRoot: string,
  options: FaultConfigOptions = {},
): string {
  const lines: string[] = [];
  const clusters = Object.values(info.clusters);
  if (options.apiServerUrls) {
    lines.push(
      'kubernetes:',
      '  clusterLocatorMethods:',
      '    - type: config',
      '      clusters:',
    );
    for (const cluster of clusters) {
      const key = `PD_SANDBOX_${cluster.name.toUpperCase()}`;
      lines.push(
        `        - name: ${cluster.name}`,
        `          url: ${
          options.apiServerUrls[cluster.name] ?? cluster.apiServerUrl
        }`,
        '          authProvider: serviceAccount',
        `          serviceAccountToken: \${${key}_TOKEN}`,
        `          caData: \${${key}_CA_DATA}`,
      );
    }
  }
  if (options.catalogFiles) {
    lines.push('catalog:', '  locations:');
    for (const file of [
      `${repoRoot}/catalog-info.yaml`,
      ...options.catalogFiles,
    ]) {
      lines.push('    - type: file', `      target: ${file}`);
    }
  }
  lines.push(
    'progressiveDelivery:',
    '  prometheus:',
    `    timeout: ${options.prometheusTimeout ?? '1s'}`,
    `    refreshInterval: ${options.prometheusRefreshInterval ?? '2s'}`,
    '  watch:',
    `    maxBackoff: ${options.maxBackoff ?? '2s'}`,
    ...(options.streamsPerPrincipal
      ? ['  limits:', `    streamsPerPrincipal: ${options.streamsPerPrincipal}`]
      : []),
    '  clusters:',
  );
  for (const cluster of clusters) {
    lines.push(
      `    ${cluster.name}:`,
      '      prometheus:',
      `        url: ${
        options.prometheusUrls?.[cluster.name] ?? cluster.prometheusUrl
      }`,
    );
    const secret = options.webhookSecrets?.[cluster.name];
    if (secret) {
      lines.push(
        '      webhooks:',
        `        secret: ${JSON.stringify(secret)}`,
      );
    }
  }
  return lines.join('\n');
}
