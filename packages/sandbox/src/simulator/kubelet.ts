/*
 * The kubelet + deployment-controller stand-in. For a Deployment it does what those do and
 * nothing more: keep one ReplicaSet per pod-template hash with the desired number of Pods
 * (named like real ones), report Pods Running/Ready, and write the Deployment's status through
 * the /status subresource. It never reads or writes Canary objects.
 */
import { KubeClient } from '../kube';

export const NODE_NAME = 'sandbox-node';
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, so equal objects give equal text. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .filter(k => (value as any)[k] !== undefined)
      .sort()
      .map(k => `${JSON.stringify(k)}:${stableStringify((value as any)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Like k8s rand.SafeEncodeString: maps each character onto a vowel-free alphabet. */
export function safeEncode(text: string): string {
  return [...text]
    .map(c => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length])
    .join('');
}

/** The pod-template-hash label value, computed as the deployment controller does (FNV-32a, safe-encoded). */
export function podTemplateHash(template: unknown): string {
  return safeEncode(String(fnv32a(stableStringify(template))));
}

/** Deterministic 5-character pod suffix, like the ReplicaSet controller's random one. */
export function podSuffix(replicaSetName: string, index: number): string {
  let n = fnv32a(`${replicaSetName}/${index}`);
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += SAFE_ALPHABET[n % SAFE_ALPHABET.length];
    n = Math.floor(n / SAFE_ALPHABET.length);
  }
  return out;
}

export function podNamesFor(
  deployment: string,
  hash: string,
  replicas: number,
): string[] {
  const rs = `${deployment}-${hash}`;
  return Array.from(
    { length: replicas },
    (_, i) => `${rs}-${podSuffix(rs, i)}`,
  );
}

/** The status the deployment controller would report once all replicas are up. */
export function deploymentStatus(
  deployment: any,
  replicaSetName: string,
  now = new Date(),
): any {
  const replicas = deployment.spec?.replicas ?? 1;
  const ts = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const previous: any[] = deployment.status?.conditions ?? [];
  const condition = (type: string, reason: string, message: string) => {
    const before = previous.find(c => c.type === type);
    const same = before && before.status === 'True' && before.reason === reason;
    return {
      type,
      status: 'True',
      reason,
      message,
      lastUpdateTime:
        same && before.message === message ? before.lastUpdateTime : ts,
      lastTransitionTime:
        before?.status === 'True' ? before.lastTransitionTime ?? ts : ts,
    };
  };
  return {
    observedGeneration: deployment.metadata.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      condition(
        'Available',
        'MinimumReplicasAvailable',
        'Deployment has minimum availability.',
      ),
      condition(
        'Progressing',
        'NewReplicaSetAvailable',
        `ReplicaSet "${replicaSetName}" has successfully progressed.`,
      ),
    ],
  };
}

/** Whether the Deployment's status already says what deploymentStatus() would write. */
export function statusIsCurrent(deployment: any): boolean {
  const s = deployment.status ?? {};
  const replicas = deployment.spec?.replicas ?? 1;
  const n = (v: number | undefined) => v ?? 0;
  return (
    s.observedGeneration === deployment.metadata.generation &&
    n(s.replicas) === replicas &&
    n(s.updatedReplicas) === replicas &&
    n(s.readyReplicas) === replicas &&
    n(s.availableReplicas) === replicas &&
    (s.conditions ?? []).some(
      (c: any) =>
        c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
    )
  );
}

function selectorString(matchLabels: Record<string, string>): string {
  return Object.entries(matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export interface ReconcileResult {
  namespace: string;
  name: string;
  pods: string[];
  changed: boolean;
}

/** Brings one Deployment's ReplicaSets, Pods and status in line with its spec. */
export async function reconcileDeployment(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<ReconcileResult | undefined> {
  const base = `/apis/apps/v1/namespaces/${namespace}`;
  const deployment = await client.find<any>(`${base}/deployments/${name}`);
  if (!deployment) return undefined;
  const replicas: number = deployment.spec?.replicas ?? 1;
  const template = deployment.spec.template;
  const hash = podTemplateHash(template);
  const rsName = `${name}-${hash}`;
  const matchLabels: Record<string, string> =
    deployment.spec.selector?.matchLabels ?? {};
  let changed = false;

  const owner = (obj: any, kind: string) => ({
    apiVersion: 'apps/v1',
    kind,
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  });

  // ReplicaSets: the current one at `replicas`, older ones removed.
  const rsList = await client.get<any>(
    `${base}/replicasets?labelSelector=${encodeURIComponent(
      selectorString(matchLabels),
    )}`,
  );
  const owned = (rsList.items as any[]).filter(rs =>
    (rs.metadata.ownerReferences ?? []).some(
      (o: any) => o.uid === deployment.metadata.uid,
    ),
  );
  for (const old of owned.filter(rs => rs.metadata.name !== rsName)) {
    await client.delete(`${base}/replicasets/${old.metadata.name}`, 0);
    changed = true;
  }
  let rs = owned.find(r => r.metadata.name === rsName);
  const podLabels = {
    ...(template.metadata?.labels ?? {}),
    'pod-template-hash': hash,
  };
  if (!rs) {
    rs = await client.post(`${base}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace,
        labels: podLabels,
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + 1),
        },
        ownerReferences: [owner(deployment, 'Deployment')],
      },
      spec: {
        replicas,
        selector: {
          matchLabels: { ...matchLabels, 'pod-template-hash': hash },
        },
        template: {
          ...template,
          metadata: { ...template.metadata, labels: podLabels },
        },
      },
    });
    changed = true;
  } else if (rs.spec.replicas !== replicas) {
    rs = await client.mergePatch(`${base}/replicasets/${rsName}`, {
      spec: { replicas },
    });
    changed = true;
  }
  if (
    rs.status?.observedGeneration !== rs.metadata.generation ||
    (rs.status?.readyReplicas ?? 0) !== replicas ||
    (rs.status?.replicas ?? 0) !== replicas
  ) {
    await client.mergePatch(`${base}/replicasets/${rsName}/status`, {
      status: {
        observedGeneration: rs.metadata.generation,
        replicas,
        fullyLabeledReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
      },
    });
  }

  // Pods: exactly the wanted names, Running and Ready.
  const wanted = podNamesFor(name, hash, replicas);
  const podList = await client.get<any>(
    `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(
      selectorString(matchLabels),
    )}`,
  );
  const existing = new Map<string, any>(
    (podList.items as any[])
      .filter(p => p.metadata.name.startsWith(`${name}-`))
      .map(p => [p.metadata.name, p]),
  );
  for (const [podName] of existing) {
    if (!wanted.includes(podName)) {
      await client.delete(`/api/v1/namespaces/${namespace}/pods/${podName}`, 0);
      changed = true;
    }
  }
  for (const podName of wanted) {
    let pod = existing.get(podName);
    if (!pod) {
      pod = await client.post(`/api/v1/namespaces/${namespace}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace,
          labels: podLabels,
          annotations: template.metadata?.annotations,
          ownerReferences: [owner(rs, 'ReplicaSet')],
        },
        spec: { ...template.spec, nodeName: NODE_NAME },
      });
      changed = true;
    }
    if (pod.status?.phase !== 'Running') {
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const ready = (type: string) => ({
        type,
        status: 'True',
        lastTransitionTime: now,
      });
      await client.mergePatch(
        `/api/v1/namespaces/${namespace}/pods/${podName}/status`,
        {
          status: {
            phase: 'Running',
            hostIP: '127.0.0.1',
            podIP: `10.244.${(fnv32a(podName) >> 8) & 0xff}.${
              (fnv32a(podName) & 0xfd) + 2
            }`,
            startTime: now,
            conditions: [
              ready('PodScheduled'),
              ready('Initialized'),
              ready('ContainersReady'),
              ready('Ready'),
            ],
            containerStatuses: (template.spec.containers as any[]).map(c => ({
              name: c.name,
              image: c.image,
              imageID: `${c.image.split(':')[0]}@sha256:${fnv32a(c.image)
                .toString(16)
                .padStart(8, '0')
                .repeat(8)}`,
              ready: true,
              started: true,
              restartCount: 0,
              state: { running: { startedAt: now } },
            })),
          },
        },
      );
      changed = true;
    }
  }

  if (!statusIsCurrent(deployment)) {
    await client.mergePatch(`${base}/deployments/${name}/status`, {
      status: deploymentStatus(deployment, rsName),
    });
    changed = true;
  }
  return { namespace, name, pods: wanted, changed };
}
