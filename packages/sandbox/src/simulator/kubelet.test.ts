import {
  fnv32a,
  nextPodAction,
  NODE_NAME,
  podStatus,
  POD_BEHAVIOUR,
  servingPods,
} from './kubelet';

const pod = (overrides: any = {}): any => ({
  metadata: {
    name: 'web-7c9d8b6f4-x2k9p',
    namespace: 'apps',
    labels: { app: 'web', 'pod-template-hash': '7c9d8b6f4' },
    annotations: {},
    ...overrides.metadata,
  },
  spec: {
    containers: [{ name: 'web', image: 'registry.example/web:v2' }],
    ...overrides.spec,
  },
  status: overrides.status,
});

describe('the node (kubelet and the binding a scheduler would make)', () => {
  it('binds a pending pod, reports a bound one, confirms a terminating one', () => {
    expect(nextPodAction(pod())).toBe('bind');
    const bound = pod({ spec: { nodeName: NODE_NAME } });
    expect(nextPodAction(bound)).toBe('report-status');
    const running = { ...bound, status: podStatus(bound) };
    expect(nextPodAction(running)).toBe('none');
    expect(
      nextPodAction({
        ...running,
        metadata: { ...running.metadata, deletionTimestamp: 'now' },
      }),
    ).toBe('confirm-deletion');
    expect(nextPodAction(pod({ spec: { nodeName: 'elsewhere' } }))).toBe(
      'none',
    );
    expect(nextPodAction(pod({ status: { phase: 'Succeeded' } }))).toBe('none');
  });

  it('reports a pod Running and Ready, with a stable IP and an image digest', () => {
    const bound = pod({ spec: { nodeName: NODE_NAME } });
    const status = podStatus(bound, new Date('2026-01-02T03:04:05.678Z'));
    expect(status.phase).toBe('Running');
    expect(status.startTime).toBe('2026-01-02T03:04:05Z');
    expect(status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(podStatus(bound).podIP).toBe(status.podIP);
    expect(status.conditions.map((c: any) => [c.type, c.status])).toEqual(
      expect.arrayContaining([
        ['Ready', 'True'],
        ['ContainersReady', 'True'],
        ['PodScheduled', 'True'],
      ]),
    );
    expect(status.containerStatuses[0]).toMatchObject({
      name: 'web',
      ready: true,
      imageID: expect.stringMatching(
        /^registry\.example\/web@sha256:[0-9a-f]{64}$/,
      ),
    });
    expect(fnv32a('')).toBe(0x811c9dc5);
  });

  it('plays a revision that never gets ready or whose image does not pull', () => {
    const notReady = podStatus(
      pod({
        metadata: { annotations: { [POD_BEHAVIOUR.notReady]: 'true' } },
        spec: { nodeName: NODE_NAME },
      }),
    );
    expect(notReady.phase).toBe('Running');
    expect(
      notReady.conditions.find((c: any) => c.type === 'Ready'),
    ).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    const noImage = podStatus(
      pod({
        metadata: { annotations: { [POD_BEHAVIOUR.imagePullError]: 'true' } },
        spec: { nodeName: NODE_NAME },
      }),
    );
    expect(noImage.phase).toBe('Pending');
    expect(noImage.containerStatuses[0].state.waiting.reason).toBe(
      'ErrImagePull',
    );
  });

  it('counts only ready, bound, live pods the selector picks as serving', () => {
    const bound = pod({ spec: { nodeName: NODE_NAME } });
    const ready = { ...bound, status: podStatus(bound) };
    const other = {
      ...ready,
      metadata: { ...ready.metadata, name: 'db-1', labels: { app: 'db' } },
    };
    const leaving = {
      ...ready,
      metadata: { ...ready.metadata, name: 'web-old', deletionTimestamp: 'x' },
    };
    const names = (pods: any[]) => pods.map(p => p.metadata.name);
    expect(
      names(
        servingPods([ready, other, leaving, bound], 'apps', { app: 'web' }),
      ),
    ).toEqual(['web-7c9d8b6f4-x2k9p']);
    expect(servingPods([ready], 'other', { app: 'web' })).toEqual([]);
    expect(servingPods([ready], 'apps', {})).toEqual([]);
  });
});
