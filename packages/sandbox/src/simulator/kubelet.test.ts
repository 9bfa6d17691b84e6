import {
  deploymentStatus,
  fnv32a,
  podNamesFor,
  podTemplateHash,
  stableStringify,
  statusIsCurrent,
} from './kubelet';

// Flagger's kubernetes provider selects canary pods with this (anchored by Prometheus).
const canaryPods = (target: string) =>
  new RegExp(`^${target}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)$`);

describe('kubelet stand-in', () => {
  it('hashes templates stably, independent of key order', () => {
    expect(
      stableStringify({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }),
    ).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
    const h = podTemplateHash({
      spec: { containers: [{ image: 'a:1', name: 'w' }] },
    });
    expect(h).toBe(
      podTemplateHash({ spec: { containers: [{ name: 'w', image: 'a:1' }] } }),
    );
    expect(h).not.toBe(
      podTemplateHash({ spec: { containers: [{ name: 'w', image: 'a:2' }] } }),
    );
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
  });

  it('names pods like the ReplicaSet controller, so Flagger tells canary from primary pods', () => {
    const canary = podNamesFor('hello-bluegreen', 'f75bbf4cb', 2);
    const primary = podNamesFor('hello-bluegreen-primary', 'b7d9c5f46', 2);
    expect(canary[0]).toMatch(/^hello-bluegreen-f75bbf4cb-[a-z0-9]{5}$/);
    expect(new Set(canary).size).toBe(2);
    for (const p of canary) expect(p).toMatch(canaryPods('hello-bluegreen'));
    for (const p of primary)
      expect(p).not.toMatch(canaryPods('hello-bluegreen'));
    expect(podNamesFor('x', 'h', 0)).toEqual([]);
  });

  it("writes the status Flagger's readiness check wants", () => {
    const d = {
      metadata: { generation: 7 },
      spec: { replicas: 3 },
      status: { observedGeneration: 6 },
    };
    const status = deploymentStatus(
      d,
      'app-abc',
      new Date('2026-01-01T00:00:00.123Z'),
    );
    expect(status).toMatchObject({
      observedGeneration: 7,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(
      status.conditions.map((c: any) => [c.type, c.status, c.reason]),
    ).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    expect(status.conditions[0].lastUpdateTime).toBe('2026-01-01T00:00:00Z');
    expect(statusIsCurrent(d)).toBe(false);
    expect(statusIsCurrent({ ...d, status })).toBe(true);
    const scaledDown = { metadata: { generation: 8 }, spec: { replicas: 0 } };
    expect(deploymentStatus(scaledDown, 'app-abc')).toMatchObject({
      replicas: 0,
      availableReplicas: 0,
    });
  });
});
