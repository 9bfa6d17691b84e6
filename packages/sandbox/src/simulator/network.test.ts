import { ANNOTATIONS } from '../config';
import { NODE_NAME, podStatus } from './kubelet';
import { parseServiceHost, route, simulatedAnswer } from './network';

const servingPod = (name: string, annotations: Record<string, string> = {}) => {
  const p: any = {
    metadata: {
      name,
      namespace: 'test',
      labels: { app: 'podinfo' },
      annotations,
    },
    spec: {
      nodeName: NODE_NAME,
      containers: [{ name: 'c', image: 'podinfo:6' }],
    },
  };
  return { ...p, status: podStatus(p) };
};

const services: any[] = [
  {
    metadata: {
      name: 'flagger-loadtester',
      namespace: 'test',
      annotations: { [ANNOTATIONS.hostPort]: '18090' },
    },
    spec: { ports: [{ port: 80 }] },
  },
  {
    metadata: { name: 'podinfo-canary', namespace: 'test' },
    spec: { selector: { app: 'podinfo' }, ports: [{ port: 9898 }] },
  },
];

describe('the cluster network', () => {
  it('resolves <service>.<namespace> and its svc / cluster.local forms only', () => {
    for (const host of [
      'podinfo-canary.test',
      'podinfo-canary.test.svc',
      'PODINFO-CANARY.test.svc.cluster.local.',
    ]) {
      expect(parseServiceHost(host)).toEqual({
        service: 'podinfo-canary',
        namespace: 'test',
      });
    }
    expect(parseServiceHost('podinfo-canary')).toBeUndefined();
    expect(parseServiceHost('example.com.evil')).toBeUndefined();
  });

  it("sends the loadtester's Service to its host process and a selector's Service to its pods", () => {
    expect(route('flagger-loadtester.test', 80, services, [])).toEqual({
      kind: 'host-process',
      port: 18090,
    });
    const pods = [servingPod('podinfo-abc-1')];
    expect(route('podinfo-canary.test', 9898, services, pods)).toEqual({
      kind: 'pods',
      pods,
    });
  });

  it('says why a request cannot be delivered', () => {
    expect(route('podinfo-canary', 80, services, [])).toMatchObject({
      status: 502,
      message: expect.stringContaining('<service>.<namespace>'),
    });
    expect(route('missing.test', 80, services, [])).toMatchObject({
      status: 502,
      message: expect.stringContaining('no Service test/missing'),
    });
    expect(route('podinfo-canary.test', 80, services, [])).toMatchObject({
      status: 502,
      message: expect.stringContaining('no port 80'),
    });
    expect(route('podinfo-canary.test', 9898, services, [])).toMatchObject({
      status: 503,
      message: 'no ready endpoints for Service test/podinfo-canary',
    });
  });

  it("answers for a simulated pod with its revision's error rate and latency", () => {
    const pod = servingPod('podinfo-abc-1', {
      [ANNOTATIONS.errorRate]: '0.5',
      [ANNOTATIONS.latencyMs]: '100',
      [ANNOTATIONS.revision]: '3',
    });
    const ok = simulatedAnswer(pod, { method: 'GET', path: '/' }, () => 0.9);
    expect(ok.status).toBe(200);
    expect(ok.delayMs).toBeCloseTo(140);
    expect(JSON.parse(ok.body)).toMatchObject({
      hostname: 'podinfo-abc-1',
      revision: '3',
      path: '/',
    });
    const failed = simulatedAnswer(
      pod,
      { method: 'GET', path: '/' },
      () => 0.1,
    );
    expect(failed.status).toBe(500);
    expect(failed.delayMs).toBeCloseTo(60);
  });
});
