import { toCanaryEvents } from './events';
import { rollbackReport, rolloutTrigger } from './whatHappened';

function deployment(
  name: string,
  image: string,
  extra: {
    env?: Array<{ name: string; value: string }>;
    configMap?: string;
  } = {},
) {
  return {
    metadata: { name },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'app',
              image,
              env: extra.env,
              envFrom: extra.configMap
                ? [{ configMapRef: { name: extra.configMap } }]
                : undefined,
            },
          ],
        },
      },
    },
  };
}

describe('rolloutTrigger', () => {
  it('names the container whose image changed, from the primary’s image to the canary’s', () => {
    const trigger = rolloutTrigger({
      phase: 'Progressing',
      target: deployment('podinfo', 'podinfo:6.1.0'),
      primary: deployment('podinfo-primary', 'podinfo:6.0.0'),
      trackedConfigs: [],
    });
    expect(trigger).toEqual({
      kind: 'image',
      images: [
        { container: 'app', from: 'podinfo:6.0.0', to: 'podinfo:6.1.0' },
      ],
      configs: [],
      description:
        'Image of container app changed from podinfo:6.0.0 to podinfo:6.1.0',
    });
  });

  it('names the tracked ConfigMap whose checksum differs from the previous rollout’s', () => {
    const trigger = rolloutTrigger({
      phase: 'Progressing',
      // Flagger points the primary at its own copy, `<name>-primary`.
      target: deployment('podinfo', 'podinfo:6.0.0', { configMap: 'settings' }),
      primary: deployment('podinfo-primary', 'podinfo:6.0.0', {
        configMap: 'settings-primary',
      }),
      trackedConfigs: [
        { kind: 'configmap', name: 'settings', checksum: 'bbbb' },
        { kind: 'secret', name: 'token', checksum: 'cccc' },
      ],
      previousRevision: '7cd7dfc98f+configmap/settings=aaaa,secret/token=cccc',
    });
    expect(trigger).toMatchObject({
      kind: 'config',
      images: [],
      configs: [{ kind: 'configmap', name: 'settings' }],
      description: 'ConfigMap settings changed',
    });
  });

  it('says the pod template changed when its images did not', () => {
    const trigger = rolloutTrigger({
      phase: 'WaitingPromotion',
      target: deployment('podinfo', 'podinfo:6.0.0', {
        env: [{ name: 'LEVEL', value: 'debug' }],
      }),
      primary: deployment('podinfo-primary', 'podinfo:6.0.0', {
        env: [{ name: 'LEVEL', value: 'info' }],
      }),
      trackedConfigs: [],
      previousRevision: '7cd7dfc98f',
    });
    expect(trigger?.kind).toBe('pod-template');
  });

  it('says Flagger restarted the analysis when the pod template is the primary’s', () => {
    const trigger = rolloutTrigger({
      phase: 'Progressing',
      target: deployment('podinfo', 'podinfo:6.0.0', { configMap: 'settings' }),
      primary: deployment('podinfo-primary', 'podinfo:6.0.0', {
        configMap: 'settings-primary',
      }),
      trackedConfigs: [
        { kind: 'configmap', name: 'settings', checksum: 'aaaa' },
      ],
      previousRevision: 'old-hash+configmap/settings=aaaa',
    });
    expect(trigger?.kind).toBe('restart');
    expect(trigger?.description).toMatch(/pod template is unchanged/);
  });

  it('does not guess between a config change and a restart without the previous rollout', () => {
    const trigger = rolloutTrigger({
      phase: 'Progressing',
      target: deployment('podinfo', 'podinfo:6.0.0'),
      primary: deployment('podinfo-primary', 'podinfo:6.0.0'),
      trackedConfigs: [{ kind: 'secret', name: 'token', checksum: 'cccc' }],
    });
    expect(trigger?.kind).toBe('unknown');
  });

  it('says nothing once promotion copied the template, or without both Deployments', () => {
    const target = deployment('podinfo', 'podinfo:6.1.0');
    const primary = deployment('podinfo-primary', 'podinfo:6.0.0');
    expect(
      rolloutTrigger({
        phase: 'Succeeded',
        target,
        primary,
        trackedConfigs: [],
      }),
    ).toBeUndefined();
    expect(
      rolloutTrigger({ phase: 'Progressing', target, trackedConfigs: [] }),
    ).toBeUndefined();
  });
});

describe('rollbackReport', () => {
  const events = toCanaryEvents([
    {
      message: 'New revision detected! Scaling up podinfo.test',
      lastTimestamp: '2026-11-23T01:00:00Z',
    },
    {
      message: 'Advance podinfo.test canary weight 20',
      lastTimestamp: '2026-11-23T01:00:20Z',
    },
    {
      message: 'Advance podinfo.test canary weight 40',
      lastTimestamp: '2026-11-23T01:00:40Z',
    },
    {
      type: 'Warning',
      message: 'Halt podinfo.test advancement success rate 91.20% < 99%',
      count: 3,
      lastTimestamp: '2026-11-23T01:01:10Z',
    },
    {
      type: 'Warning',
      message: 'Rolling back podinfo.test failed checks threshold reached 3',
      lastTimestamp: '2026-11-23T01:01:20Z',
    },
    {
      type: 'Warning',
      message: 'Canary failed! Scaling down podinfo.test',
      lastTimestamp: '2026-11-23T01:01:20Z',
    },
  ]);
  // Flagger reset the status: weight 0, step 0, failed checks 0.
  const traffic = {
    mode: 'weight' as const,
    canaryWeight: 0,
    currentStep: 0,
    totalSteps: 3,
  };

  it('tells the step and weight reached and the checks that ended it, from the events', () => {
    expect(
      rollbackReport({
        phase: 'Failed',
        events,
        traffic,
        weightSteps: [20, 40, 60],
        threshold: 3,
      }),
    ).toEqual({
      threshold: 3,
      totalSteps: 3,
      reachedWeight: 40,
      reachedStep: 2,
      failedChecks: 3,
      failures: [
        {
          message: 'Halt podinfo.test advancement success rate 91.20% < 99%',
          count: 3,
          lastSeen: '2026-11-23T01:01:10.000Z',
        },
      ],
    });
  });

  it('falls back to the rollout record once Kubernetes dropped the events', () => {
    expect(
      rollbackReport({
        phase: 'Failed',
        events: [],
        traffic,
        weightSteps: [20, 40, 60],
        threshold: 3,
        rollout: {
          reachedWeight: 60,
          failedChecks: 3,
          lastHaltReason: 'request-duration 1.5s > 500ms',
        },
      }),
    ).toMatchObject({
      reachedWeight: 60,
      reachedStep: 3,
      failedChecks: 3,
      failures: [{ message: 'request-duration 1.5s > 500ms', count: 1 }],
    });
  });

  it('counts iterations for blue-green, and is absent for a release that did not fail', () => {
    expect(
      rollbackReport({
        phase: 'Failed',
        events: toCanaryEvents([
          { message: 'New revision detected! Scaling up podinfo.test' },
          { message: 'Advance podinfo.test canary iteration 2/5' },
        ]),
        traffic: { mode: 'iterations', currentStep: 0, totalSteps: 5 },
        weightSteps: [],
        threshold: 2,
      }),
    ).toMatchObject({ reachedStep: 2, totalSteps: 5 });
    expect(
      rollbackReport({
        phase: 'Progressing',
        events,
        traffic,
        weightSteps: [20, 40, 60],
        threshold: 3,
      }),
    ).toBeUndefined();
  });
});
