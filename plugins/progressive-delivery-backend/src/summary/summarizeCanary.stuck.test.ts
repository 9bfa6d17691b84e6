import capture from '../__fixtures__/sandbox-capture.json';
import stuckCapture from '../__fixtures__/stuck-capture.json';
import { revisionKey } from '../flagger/revision';
import { WatchedCanary } from '../types';
import { summarizeCanary } from './summarizeCanary';

/*
 * Canaries stuck the ways Flagger users meet most, built from the real objects captured from
 * the sandbox (Flagger v1.44.0): the status, the Deployments' status and the events set as
 * Flagger and the Deployment controller write them. Flagger's messages are its format strings
 * (pkg/canary/deployment_ready.go, pkg/controller/scheduler_hooks.go, scheduler.go) filled in;
 * the pre-rollout one is the one the sandbox's loadtester integration test sees.
 */

type Obj = Record<string, any>;
const fixture = capture as any;
const NOW = new Date('2026-11-23T03:00:00Z');

function captured(kind: 'canaries' | 'deployments', name: string): Obj {
  return structuredClone(
    fixture[kind].find(
      (c: any) => c.cluster === 'dev' && c.object.metadata.name === name,
    ).object,
  );
}

/** hello-contour (progressDeadlineSeconds 300, threshold 3) in `phase` since `since`. */
function canaryIn(phase: string, since: string, status: Obj = {}): Obj {
  const canary = captured('canaries', 'hello-contour');
  canary.status = {
    ...canary.status,
    phase,
    lastTransitionTime: since,
    conditions: [
      {
        type: 'Promoted',
        status: 'Unknown',
        reason: phase,
        message: 'New Deployment detected, starting initialization.',
        lastUpdateTime: since,
        lastTransitionTime: since,
      },
    ],
    ...status,
  };
  return canary;
}

/** Flagger's events repeat each tick: one aggregated event from `first` to `last`. */
const event = (
  message: string,
  first: string,
  last = first,
  type = 'Warning',
  count = 1,
) => ({
  message,
  type,
  reason: 'Synced',
  firstTimestamp: first,
  lastTimestamp: last,
  count,
  metadata: { uid: message },
});

/** `newestFirst` is reversed into the store's order, oldest first. */
function summarize(
  canary: Obj,
  newestFirst: Obj[],
  deployments: { target?: Obj; primary?: Obj } = {},
) {
  const watched: WatchedCanary = {
    ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-contour' },
    object: canary,
    target: deployments.target ?? captured('deployments', 'hello-contour'),
    primary:
      deployments.primary ?? captured('deployments', 'hello-contour-primary'),
    events: [...newestFirst].reverse(),
    revision: revisionKey(canary),
  };
  return summarizeCanary(watched, {
    decisions: { paused: false },
    now: NOW,
    clusterFresh: true,
    prometheusConfigured: true,
  });
}

describe('summarizeCanary names what a canary is stuck on', () => {
  it('a primary whose Deployment no controller has observed: Flagger waits, the deadline is only counted', () => {
    // The case: a new namespace without a controller manager; the primary's
    // Deployment never gets a status, Flagger stays in Initializing.
    const canary = canaryIn('Initializing', '2026-11-23T02:48:00Z');
    delete canary.spec.progressDeadlineSeconds;
    const primary = captured('deployments', 'hello-contour-primary');
    primary.status = {};
    const notReady =
      'hello-contour-primary.tap-apps not ready: waiting for rollout to finish: observed deployment generation less than desired generation';
    const summary = summarize(
      canary,
      [
        event(
          notReady,
          '2026-11-23T02:48:05Z',
          '2026-11-23T02:59:50Z',
          'Warning',
          70,
        ),
        event(
          'all the metrics providers are available!',
          '2026-11-23T02:48:00Z',
          '2026-11-23T02:59:50Z',
          'Normal',
          70,
        ),
      ],
      { primary },
    );
    expect(summary.state).toEqual({
      kind: 'initializing',
      tone: 'error',
      headline:
        'Initializing: primary hello-contour-primary not ready (0 of 2 pods ready)',
      detail: `Flagger: "${notReady}". It has been in this phase past its progress deadline (progressDeadlineSeconds 600, 2026-11-23 02:58:00 UTC), but Flagger counts the deadline only from the Deployment's Available=False condition, which the Deployment does not report: Flagger keeps waiting.`,
      blockedBy: {
        kind: 'primary-not-ready',
        message: notReady,
        since: '2026-11-23T02:48:05.000Z',
        workload: {
          name: 'hello-contour-primary',
          readyReplicas: 0,
          desiredReplicas: 2,
          condition: undefined,
        },
        progressDeadline: {
          seconds: 600,
          at: '2026-11-23T02:58:00.000Z',
          passed: true,
          enforced: false,
        },
      },
    });
  });

  it("a primary whose pods are refused: the Deployment's reason and Flagger's deadline to come", () => {
    const canary = canaryIn('Initializing', '2026-11-23T02:57:00Z');
    const primary = captured('deployments', 'hello-contour-primary');
    primary.status = {
      observedGeneration: 1,
      conditions: [
        {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
          lastUpdateTime: '2026-11-23T02:57:03Z',
          lastTransitionTime: '2026-11-23T02:57:03Z',
        },
        {
          type: 'ReplicaFailure',
          status: 'True',
          reason: 'FailedCreate',
          message:
            'pods "hello-contour-primary-57fcb7c57d-" is forbidden: error looking up service account tap-apps/default: serviceaccount "default" not found',
          lastUpdateTime: '2026-11-23T02:57:03Z',
          lastTransitionTime: '2026-11-23T02:57:03Z',
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetCreated',
          message: 'Created new replica set "hello-contour-primary-57fcb7c57d"',
          lastUpdateTime: '2026-11-23T02:57:03Z',
          lastTransitionTime: '2026-11-23T02:57:03Z',
        },
      ],
    };
    const notReady =
      'hello-contour-primary.tap-apps not ready: waiting for rollout to finish: 0 out of 2 new replicas have been updated';
    const summary = summarize(
      canary,
      [
        event(
          notReady,
          '2026-11-23T02:57:05Z',
          '2026-11-23T02:59:55Z',
          'Warning',
          18,
        ),
      ],
      { primary },
    );
    expect(summary.state.headline).toBe(
      'Initializing: primary hello-contour-primary not ready (0 of 2 pods ready)',
    );
    expect(summary.state.tone).toBe('waiting');
    expect(summary.state.detail).toBe(
      `Flagger: "${notReady}". The Deployment: "pods "hello-contour-primary-57fcb7c57d-" is forbidden: error looking up service account tap-apps/default: serviceaccount "default" not found". Flagger rolls the release back if it is still not ready at 2026-11-23 03:02:03 UTC (progressDeadlineSeconds 300).`,
    );
    expect(summary.state.blockedBy?.progressDeadline).toEqual({
      seconds: 300,
      at: '2026-11-23T03:02:03.000Z',
      passed: false,
      enforced: true,
    });
  });

  it('a canary whose pods never become ready past the progress deadline', () => {
    const canary = canaryIn('Progressing', '2026-11-23T02:50:00Z');
    const target = captured('deployments', 'hello-contour');
    target.spec.replicas = 1;
    target.status = {
      observedGeneration: 2,
      replicas: 1,
      updatedReplicas: 1,
      unavailableReplicas: 1,
      conditions: [
        {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
          lastUpdateTime: '2026-11-23T02:50:01Z',
          lastTransitionTime: '2026-11-23T02:50:01Z',
        },
      ],
    };
    const notReady =
      'canary deployment hello-contour.tap-apps not ready: waiting for rollout to finish: 0 of 1 (readyThreshold 100%) updated replicas are available';
    const summary = summarize(
      canary,
      [
        event(
          notReady,
          '2026-11-23T02:50:10Z',
          '2026-11-23T02:59:50Z',
          'Warning',
          58,
        ),
        event(
          'New revision detected! Scaling up hello-contour.tap-apps',
          '2026-11-23T02:50:00Z',
          '2026-11-23T02:50:00Z',
          'Normal',
        ),
      ],
      { target },
    );
    expect(summary.state).toMatchObject({
      kind: 'progressing',
      tone: 'error',
      headline: 'Held: canary hello-contour not ready (0 of 1 pods ready)',
      detail: `Flagger: "${notReady}". The progress deadline (progressDeadlineSeconds 300) has passed: Flagger rolls the release back at its next check.`,
      blockedBy: {
        kind: 'canary-not-ready',
        since: '2026-11-23T02:50:10.000Z',
        workload: {
          name: 'hello-contour',
          readyReplicas: 0,
          desiredReplicas: 1,
        },
        progressDeadline: { seconds: 300, passed: true, enforced: true },
      },
    });
  });

  it('a primary rolling out during promotion', () => {
    const canary = canaryIn('Promoting', '2026-11-23T02:59:30Z');
    const primary = captured('deployments', 'hello-contour-primary');
    primary.metadata.generation = 2;
    primary.status = {
      ...primary.status,
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 2,
      readyReplicas: 1,
    };
    const notReady =
      'hello-contour-primary.tap-apps not ready: waiting for rollout to finish: 1 old replicas are pending termination';
    const summary = summarize(
      canary,
      [
        event(
          notReady,
          '2026-11-23T02:59:40Z',
          '2026-11-23T02:59:50Z',
          'Warning',
          2,
        ),
        event(
          'Copying hello-contour.tap-apps template spec to hello-contour-primary.tap-apps',
          '2026-11-23T02:59:30Z',
          '2026-11-23T02:59:30Z',
          'Normal',
        ),
      ],
      { primary },
    );
    expect(summary.state).toMatchObject({
      kind: 'promoting',
      tone: 'waiting',
      headline:
        'Promoting: primary hello-contour-primary not ready (1 of 2 pods ready)',
      blockedBy: { kind: 'primary-not-ready', message: notReady },
    });
    expect(summary.state.detail).toMatch(
      /is 2026-11-23 03:04:30 UTC; Flagger enforces it once the Deployment reports Available=False\.$/,
    );
  });

  it('a failing pre-rollout check holds the release at no traffic, in Flagger’s words', () => {
    const canary = canaryIn('Progressing', '2026-11-23T02:59:20Z', {
      failedChecks: 1,
    });
    const halt =
      'Halt hello-contour.tap-apps advancement pre-rollout check acceptance-test failed POST http://flagger-loadtester.test/ giving up after 1 attempt(s)';
    const summary = summarize(canary, [
      event(halt, '2026-11-23T02:59:31Z', '2026-11-23T02:59:41Z', 'Warning', 2),
      event(
        'Starting canary analysis for hello-contour.tap-apps',
        '2026-11-23T02:59:31Z',
        '2026-11-23T02:59:41Z',
        'Normal',
        2,
      ),
      event(
        'New revision detected! Scaling up hello-contour.tap-apps',
        '2026-11-23T02:59:20Z',
        '2026-11-23T02:59:20Z',
        'Normal',
      ),
    ]);
    expect(summary.state).toEqual({
      kind: 'progressing',
      tone: 'waiting',
      headline: 'Held: pre-rollout check acceptance-test failing',
      detail: `Flagger: "${halt}". 1 of 3 failed checks; reaching 3 rolls the release back.`,
      blockedBy: {
        kind: 'webhook-failed',
        message: halt,
        since: '2026-11-23T02:59:31.000Z',
        webhook: {
          name: 'acceptance-test',
          type: 'pre-rollout',
          error:
            'POST http://flagger-loadtester.test/ giving up after 1 attempt(s)',
        },
      },
    });
  });

  it('a failing rollout webhook (load test) halts the advancement', () => {
    const canary = canaryIn('Progressing', '2026-11-23T02:59:00Z', {
      failedChecks: 2,
      canaryWeight: 20,
    });
    const halt =
      'Halt hello-contour.tap-apps advancement external check load-test failed command hey -z 1m -q 10 -c 2 http://hello-contour-canary.tap-apps/ failed: : exit status 1';
    const summary = summarize(canary, [
      event(halt, '2026-11-23T02:59:40Z', '2026-11-23T02:59:50Z', 'Warning', 2),
      event(
        'Advance hello-contour.tap-apps canary weight 20',
        '2026-11-23T02:59:30Z',
        '2026-11-23T02:59:30Z',
        'Normal',
      ),
      event(
        'New revision detected! Scaling up hello-contour.tap-apps',
        '2026-11-23T02:59:00Z',
        '2026-11-23T02:59:00Z',
        'Normal',
      ),
    ]);
    expect(summary.state).toMatchObject({
      kind: 'progressing',
      headline: 'Held: rollout check load-test failing',
      detail: `Flagger: "${halt}". 2 of 3 failed checks; reaching 3 rolls the release back.`,
      blockedBy: {
        kind: 'webhook-failed',
        webhook: {
          name: 'load-test',
          type: 'rollout',
          error:
            'command hey -z 1m -q 10 -c 2 http://hello-contour-canary.tap-apps/ failed: : exit status 1',
        },
      },
    });
  });

  it('names nothing once Flagger has moved past what held it', () => {
    const canary = canaryIn('Progressing', '2026-11-23T02:59:20Z', {
      failedChecks: 1,
      canaryWeight: 20,
    });
    const summary = summarize(canary, [
      event(
        'Advance hello-contour.tap-apps canary weight 20',
        '2026-11-23T02:59:51Z',
        '2026-11-23T02:59:51Z',
        'Normal',
      ),
      event(
        'Pre-rollout check acceptance-test passed',
        '2026-11-23T02:59:51Z',
        '2026-11-23T02:59:51Z',
        'Normal',
      ),
      event(
        'Halt hello-contour.tap-apps advancement pre-rollout check acceptance-test failed POST http://flagger-loadtester.test/ giving up after 1 attempt(s)',
        '2026-11-23T02:59:31Z',
        '2026-11-23T02:59:41Z',
        'Warning',
        2,
      ),
      event(
        'New revision detected! Scaling up hello-contour.tap-apps',
        '2026-11-23T02:59:20Z',
        '2026-11-23T02:59:20Z',
        'Normal',
      ),
    ]);
    expect(summary.state.blockedBy).toBeUndefined();
    expect(summary.state.headline).toBe('Analysis in progress');
  });

  it('names nothing from an earlier run, nor over a gate that waits for a person', () => {
    const initialized = summarize(
      canaryIn('Succeeded', '2026-11-23T02:40:00Z'),
      [
        event(
          'hello-contour-primary.tap-apps not ready: waiting for rollout to finish: 1 old replicas are pending termination',
          '2026-11-23T02:39:00Z',
        ),
      ],
    );
    expect(initialized.state.blockedBy).toBeUndefined();
    const waiting = summarize(canaryIn('Waiting', '2026-11-23T02:59:00Z'), [
      event(
        'Halt hello-contour.tap-apps advancement waiting for approval gate',
        '2026-11-23T02:59:00Z',
        '2026-11-23T02:59:50Z',
      ),
    ]);
    expect(waiting.state).toMatchObject({
      kind: 'waiting-rollout-approval',
      waitingFor: 'confirm-rollout',
    });
    expect(waiting.state.blockedBy).toBeUndefined();
  });
});

describe('summarizeCanary on canaries captured stuck in the sandbox', () => {
  // src/__fixtures__/stuck-capture.json: a Deployment and Canary in a new namespace of the
  // sandbox without a controller manager, and a release held by a pre-rollout webhook nobody
  // answers; see its `source`.
  const stuck = stuckCapture as any;
  const now = new Date(stuck.capturedAt);
  function capturedWatched(name: string): WatchedCanary {
    const canary = stuck.canaries.find(
      (c: any) => c.object.metadata.name === name,
    ).object;
    const { namespace } = canary.metadata;
    const deploymentNamed = (n: string) =>
      stuck.deployments.find((d: any) => d.object.metadata.name === n)?.object;
    return {
      ref: { cluster: 'dev', namespace, name },
      object: canary,
      target: deploymentNamed(name),
      primary: deploymentNamed(`${name}-primary`),
      events: stuck.events
        .filter((e: any) => e.object.involvedObject.name === name)
        .map((e: any) => e.object),
      revision: revisionKey(canary),
    };
  }
  const context = {
    decisions: { paused: false },
    now,
    clusterFresh: true,
    prometheusConfigured: true,
  };

  it('names the primary Flagger waits for in a new namespace', () => {
    const summary = summarizeCanary(capturedWatched('podinfo'), context);
    expect(summary.state).toMatchObject({
      kind: 'initializing',
      tone: 'waiting',
      headline:
        'Initializing: primary podinfo-primary not ready (0 of 2 pods ready)',
      detail:
        'Flagger: "podinfo-primary.stuck-demo not ready: waiting for rollout to finish: observed deployment generation less than desired generation". The progress deadline (progressDeadlineSeconds 60 in this phase) is 2026-12-01 10:30:45 UTC; Flagger enforces it once the Deployment reports Available=False.',
      blockedBy: {
        kind: 'primary-not-ready',
        workload: {
          name: 'podinfo-primary',
          readyReplicas: 0,
          desiredReplicas: 2,
        },
        progressDeadline: { seconds: 60, passed: false, enforced: false },
      },
    });
  });

  it('names the failing pre-rollout webhook and the error Flagger got', () => {
    const summary = summarizeCanary(
      capturedWatched('hello-bluegreen'),
      context,
    );
    expect(summary.state).toMatchObject({
      kind: 'progressing',
      tone: 'waiting',
      headline: 'Held: pre-rollout check acceptance-test failing',
      detail:
        'Flagger: "Halt hello-bluegreen.tap-apps advancement pre-rollout check acceptance-test failed POST http://127.0.0.1:9/ giving up after 1 attempt(s): Post "http://127.0.0.1:9/": dial tcp 127.0.0.1:9: connect: connection refused". 2 of 50 failed checks; reaching 50 rolls the release back.',
      blockedBy: {
        kind: 'webhook-failed',
        webhook: {
          name: 'acceptance-test',
          type: 'pre-rollout',
          error:
            'POST http://127.0.0.1:9/ giving up after 1 attempt(s): Post "http://127.0.0.1:9/": dial tcp 127.0.0.1:9: connect: connection refused',
        },
      },
    });
  });
});
