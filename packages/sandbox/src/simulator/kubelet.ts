/*
 * What the one node of a sandbox cluster does: its kubelet registers the Node and keeps its
 * Lease renewed (so the node lifecycle controller sees it alive), binds unscheduled pods to
 * itself (no kube-scheduler runs), reports its pods Running and Ready as their revision says,
 * and confirms the deletion of terminating pods. Deployments, ReplicaSets, garbage collection
 * and the rest come from the real kube-controller-manager.
 */
import { ANNOTATION_PREFIX } from '../config';
import { KubeApiError, KubeClient } from '../kube';

export const NODE_NAME = 'sandbox-node';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;

/**
 * Pod-template annotations that make a revision misbehave on the node, the way a broken
 * image or a failing readiness probe would:
 * - `not-ready: "true"`: containers run but never pass readiness;
 * - `image-pull-error: "true"`: the image does not pull (Pending, ErrImagePull).
 */
export const POD_BEHAVIOUR = {
  notReady: `${ANNOTATION_PREFIX}/not-ready`,
  imagePullError: `${ANNOTATION_PREFIX}/image-pull-error`,
};

export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const seconds = (now: Date) => now.toISOString().replace(/\.\d+Z$/, 'Z');
/** metav1.MicroTime, as Lease.spec.renewTime wants it. */
const micro = (now: Date) => now.toISOString().replace(/Z$/, '000Z');

/** A stable pod IP in 10.244.0.0/16 (there is no pod network; the name decides). */
export function podIp(podName: string): string {
  const h = fnv32a(podName);
  return `10.244.${(h >> 8) & 0xff}.${(h & 0xfd) + 2}`;
}

export function nodeObject(): any {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE_NAME,
      labels: {
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
      },
    },
    spec: {},
  };
}

export function nodeStatus(kubeletVersion: string, now = new Date()): any {
  const ts = seconds(now);
  const condition = (
    type: string,
    status: string,
    reason: string,
    message: string,
  ) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: ts,
    lastTransitionTime: ts,
  });
  const resources = { cpu: '64', memory: '256Gi', pods: '1000' };
  return {
    capacity: resources,
    allocatable: resources,
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: NODE_NAME },
    ],
    conditions: [
      condition(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
      ),
      condition(
        'DiskPressure',
        'False',
        'KubeletHasNoDiskPressure',
        'kubelet has no disk pressure',
      ),
      condition(
        'PIDPressure',
        'False',
        'KubeletHasSufficientPID',
        'kubelet has sufficient PID available',
      ),
      condition(
        'Ready',
        'True',
        'KubeletReady',
        'kubelet is posting ready status',
      ),
    ],
    nodeInfo: {
      kubeletVersion,
      kubeProxyVersion: kubeletVersion,
      operatingSystem: 'linux',
      architecture: 'amd64',
      containerRuntimeVersion: 'sandbox://simulated',
      osImage: 'progressive-delivery sandbox',
      kernelVersion: '',
      machineID: '',
      systemUUID: '',
      bootID: '',
    },
  };
}

/** Registers the node (once) and reports its status, as the kubelet does at start. */
export async function registerNode(
  client: KubeClient,
  now = new Date(),
): Promise<void> {
  const version = (await client.get('/version')).gitVersion as string;
  if (!(await client.find(`/api/v1/nodes/${NODE_NAME}`))) {
    try {
      await client.post('/api/v1/nodes', nodeObject());
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 409)) throw e;
    }
  }
  await client.mergePatch(`/api/v1/nodes/${NODE_NAME}/status`, {
    status: nodeStatus(version, now),
  });
}

/** Renews the node's Lease (creating it if needed): the kubelet's heartbeat. */
export async function renewLease(
  client: KubeClient,
  now = new Date(),
): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/${NODE_NAME}`;
  const spec = {
    holderIdentity: NODE_NAME,
    leaseDurationSeconds: LEASE_DURATION_SECONDS,
    renewTime: micro(now),
  };
  if (await client.find(path)) {
    await client.mergePatch(path, { spec });
    return;
  }
  const node = await client.get(`/api/v1/nodes/${NODE_NAME}`);
  await client.post(
    `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`,
    {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: NODE_NAME,
        namespace: NODE_LEASE_NAMESPACE,
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Node',
            name: NODE_NAME,
            uid: node.metadata.uid,
          },
        ],
      },
      spec,
    },
  );
}

const isTrue = (v: string | undefined) => v === 'true';

/** The status the kubelet reports for a pod of this node, from its revision's behaviour. */
export function podStatus(pod: any, now = new Date()): any {
  const ts = seconds(now);
  const annotations: Record<string, string> = pod.metadata.annotations ?? {};
  const pullError = isTrue(annotations[POD_BEHAVIOUR.imagePullError]);
  const ready = !pullError && !isTrue(annotations[POD_BEHAVIOUR.notReady]);
  const previous: any[] = pod.status?.conditions ?? [];
  const condition = (type: string, status: boolean, reason?: string) => {
    const before = previous.find(c => c.type === type);
    const value = status ? 'True' : 'False';
    return {
      type,
      status: value,
      ...(reason ? { reason } : {}),
      lastProbeTime: null,
      lastTransitionTime:
        before?.status === value ? before.lastTransitionTime ?? ts : ts,
    };
  };
  const startTime = pod.status?.startTime ?? ts;
  const containers: any[] = pod.spec.containers ?? [];
  return {
    phase: pullError ? 'Pending' : 'Running',
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: podIp(pod.metadata.name),
    podIPs: [{ ip: podIp(pod.metadata.name) }],
    startTime,
    qosClass: pod.status?.qosClass ?? 'BestEffort',
    conditions: [
      condition('PodReadyToStartContainers', !pullError),
      condition('Initialized', true),
      condition('Ready', ready, ready ? undefined : 'ContainersNotReady'),
      condition(
        'ContainersReady',
        ready,
        ready ? undefined : 'ContainersNotReady',
      ),
      condition('PodScheduled', true),
    ],
    containerStatuses: containers.map(c => ({
      name: c.name,
      image: c.image,
      imageID: pullError
        ? ''
        : `${c.image.split(':')[0]}@sha256:${fnv32a(c.image)
            .toString(16)
            .padStart(8, '0')
            .repeat(8)}`,
      ready,
      started: !pullError,
      restartCount: 0,
      state: pullError
        ? {
            waiting: {
              reason: 'ErrImagePull',
              message: `failed to pull and unpack image "${c.image}": not found`,
            },
          }
        : { running: { startedAt: startTime } },
    })),
  };
}

/** Whether the pod's reported status already says what podStatus() would write. */
export function podStatusIsCurrent(pod: any): boolean {
  const wanted = podStatus(pod);
  const s = pod.status ?? {};
  const cond = (st: any, type: string) =>
    (st.conditions ?? []).find((c: any) => c.type === type)?.status;
  return (
    s.phase === wanted.phase &&
    s.podIP === wanted.podIP &&
    cond(s, 'Ready') === cond(wanted, 'Ready') &&
    (s.containerStatuses ?? []).length === wanted.containerStatuses.length
  );
}

export type PodAction = 'bind' | 'report-status' | 'confirm-deletion' | 'none';

/** What this node's kubelet (and the scheduler it stands in for) does next for a pod. */
export function nextPodAction(pod: any): PodAction {
  if (pod.metadata.deletionTimestamp) {
    return pod.spec.nodeName === NODE_NAME || !pod.spec.nodeName
      ? 'confirm-deletion'
      : 'none';
  }
  if (['Succeeded', 'Failed'].includes(pod.status?.phase)) return 'none';
  if (!pod.spec.nodeName) return 'bind';
  if (pod.spec.nodeName !== NODE_NAME) return 'none';
  return podStatusIsCurrent(pod) ? 'none' : 'report-status';
}

/** Does for one pod what nextPodAction() says. Returns what it did. */
export async function reconcilePod(
  client: KubeClient,
  pod: any,
): Promise<PodAction> {
  const { namespace, name } = pod.metadata;
  const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
  const action = nextPodAction(pod);
  switch (action) {
    case 'bind':
      await client.post(`${path}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace },
        target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME },
      });
      break;
    case 'report-status':
      await client.mergePatch(`${path}/status`, { status: podStatus(pod) });
      break;
    case 'confirm-deletion':
      // The containers stop at once; the kubelet then removes the pod for good.
      await client.delete(path, 0);
      break;
    default:
      break;
  }
  return action;
}

/** A pod that serves traffic: bound here, Running, Ready and not terminating. */
export function isServing(pod: any): boolean {
  return (
    pod.spec?.nodeName === NODE_NAME &&
    !pod.metadata?.deletionTimestamp &&
    pod.status?.phase === 'Running' &&
    (pod.status?.conditions ?? []).some(
      (c: any) => c.type === 'Ready' && c.status === 'True',
    )
  );
}

export function labelsMatch(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  const keys = Object.keys(selector ?? {});
  return keys.length > 0 && keys.every(k => (labels ?? {})[k] === selector![k]);
}

/** Names of the serving pods in `namespace` that `selector` picks. */
export function servingPods(
  pods: readonly any[],
  namespace: string,
  selector: Record<string, string> | undefined,
): any[] {
  return pods.filter(
    p =>
      p.metadata.namespace === namespace &&
      isServing(p) &&
      labelsMatch(selector, p.metadata.labels),
  );
}
