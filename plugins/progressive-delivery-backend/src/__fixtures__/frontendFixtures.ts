/*
 * The frontend's test summaries, produced by the real summarizer from the objects captured
 * in this directory, so the frontend's tests render exactly what this backend sends.
 *
 *   node -r sucrase/register/ts plugins/progressive-delivery-backend/src/__fixtures__/frontendFixtures.ts
 *
 * writes plugins/progressive-delivery/src/testing/__fixtures__/summaries.json;
 * frontendFixtures.test.ts fails while the committed file differs from what this produces.
 *
 * The captures hold releases at rest (Initialized, Succeeded) and one rollback; a release in
 * motion is the captured object with the status fields and Events Flagger writes in that
 * phase, and its target Deployment scaled up with the next image, as a release does. Metric
 * readings are what the metrics cache would hold, with the queries it renders.
 */
import {
  CanarySummary,
  GateDecision,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { writeFileSync } from 'node:fs';
import { BuiltinMetric, isBuiltinMetric } from '../flagger/metrics';
import { revisionKey } from '../flagger/revision';
import { builtinProviderOf, builtinQuery } from '../prometheus/builtinQueries';
import { templateModel } from '../prometheus/queries';
import { MetricReading } from '../prometheus/readings';
import { redactedManifest } from '../service/ReleaseQueries';
import { summarizeCanary } from '../summary/summarizeCanary';
import { WatchedCanary } from '../types';
import failedRelease from './failed-release.json';
import capture from './sandbox-capture.json';

type Obj = Record<string, any>;

/** The summaries' clock; the frontend moves every time by its own `NOW` minus this. */
export const GENERATED_AT = '2026-11-23T03:00:00.000Z';

export const FRONTEND_FIXTURES_FILE = resolvePackagePath(
  '@progressive-delivery/plugin-progressive-delivery-backend',
  '../progressive-delivery/src/testing/__fixtures__/summaries.json',
);

const WEBHOOK_BASE_URL =
  'http://127.0.0.1:7007/api/progressive-delivery/webhooks';
const PROMETHEUS_URL = 'http://127.0.0.1:9090';

const minutesBefore = (minutes: number) =>
  new Date(Date.parse(GENERATED_AT) - minutes * 60_000).toISOString();

function captured(
  kind: 'canaries' | 'deployments',
  cluster: string,
  name: string,
): Obj {
  const found = (capture as Obj)[kind].find(
    (c: Obj) => c.cluster === cluster && c.object.metadata.name === name,
  );
  return structuredClone(found.object);
}

function capturedEvents(cluster: string, name: string): Obj[] {
  return (capture as Obj).events
    .filter(
      (e: Obj) =>
        e.cluster === cluster && e.object.involvedObject.name === name,
    )
    .map((e: Obj) => structuredClone(e.object));
}

/** An Event as Flagger records it about a Canary, `minutesAgo` before the clock. */
function flaggerEvent(
  canary: Obj,
  message: string,
  minutesAgo: number,
  type = 'Normal',
): Obj {
  const at = minutesBefore(minutesAgo).replace(/\.\d{3}Z$/, 'Z');
  return {
    metadata: {
      name: `${canary.metadata.name}.${minutesAgo}`,
      namespace: canary.metadata.namespace,
    },
    involvedObject: {
      kind: 'Canary',
      namespace: canary.metadata.namespace,
      name: canary.metadata.name,
      apiVersion: 'flagger.app/v1beta1',
    },
    reason: 'Synced',
    message,
    source: { component: 'flagger' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    type,
  };
}

/** The target scaled up with the next image, the primary still on the current one. */
function releasing(target: Obj, image: string): Obj {
  target.spec.replicas = 2;
  target.spec.template.spec.containers[0].image = image;
  target.status = {
    ...target.status,
    replicas: 2,
    readyReplicas: 2,
    availableReplicas: 2,
  };
  return target;
}

/** What the metrics cache holds for a canary's builtin metrics. */
function readings(
  canary: Obj,
  values: Record<string, { value: number; primaryValue?: number }>,
): Map<string, MetricReading> {
  const provider = builtinProviderOf(canary, 'contour');
  const map = new Map<string, MetricReading>();
  for (const metric of canary.spec.analysis.metrics as Obj[]) {
    const value = values[metric.name];
    if (!value || !isBuiltinMetric(metric)) continue;
    const model = templateModel(canary, metric.interval ?? '1m');
    map.set(metric.name, {
      ...value,
      query: builtinQuery(
        provider,
        metric.name as BuiltinMetric,
        model,
        'canary',
      ),
      primaryQuery: builtinQuery(
        provider,
        metric.name as BuiltinMetric,
        model,
        'primary',
      ),
      at: minutesBefore(0.2),
    });
  }
  return map;
}

interface Release {
  summary: CanarySummary;
  object: Obj;
}

function summarize(
  watched: Omit<WatchedCanary, 'revision'>,
  metricValues: Record<string, { value: number; primaryValue?: number }>,
  decision?: GateDecision,
): Release {
  const summary = summarizeCanary(
    { ...watched, revision: revisionKey(watched.object) },
    {
      decisions: { paused: false, decision },
      webhookBaseUrl: WEBHOOK_BASE_URL,
      now: new Date(GENERATED_AT),
      clusterFresh: true,
      metricReadings: readings(watched.object, metricValues),
      prometheusUrl: PROMETHEUS_URL,
      prometheusConfigured: true,
      meshProvider: 'contour',
    },
  );
  return { summary, object: watched.object };
}

const passing = {
  'request-success-rate': { value: 99.84, primaryValue: 99.91 },
  'request-duration': { value: 212, primaryValue: 198 },
};

/**
 * `hello-contour` (Contour, 20% steps up to 60%) at 40%: step 2 of 3, with the portal's gates
 * `hello-gated` has, so every action a running analysis allows is on offer.
 */
function progressing(): Release {
  const canary = captured('canaries', 'dev', 'hello-contour');
  canary.spec.analysis.webhooks = captured(
    'canaries',
    'dev',
    'hello-gated',
  ).spec.analysis.webhooks;
  canary.status = {
    ...canary.status,
    phase: 'Progressing',
    canaryWeight: 40,
    lastAppliedSpec: '5b8f9d7c64',
    lastTransitionTime: minutesBefore(0.5).replace(/\.\d{3}Z$/, 'Z'),
  };
  const name = 'hello-contour.tap-apps';
  return summarize(
    {
      ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-contour' },
      object: canary,
      target: releasing(
        captured('deployments', 'dev', 'hello-contour'),
        'registry.sandbox.local/tap-apps/hello-contour:v2',
      ),
      primary: captured('deployments', 'dev', 'hello-contour-primary'),
      events: [
        ...capturedEvents('dev', 'hello-contour'),
        flaggerEvent(canary, `New revision detected! Scaling up ${name}`, 2),
        flaggerEvent(canary, `Starting canary analysis for ${name}`, 1.5),
        flaggerEvent(canary, `Advance ${name} canary weight 20`, 1.3),
        flaggerEvent(canary, `Advance ${name} canary weight 40`, 0.5),
      ],
    },
    passing,
  );
}

/** `hello-bluegreen` (Kubernetes provider, 4 iterations) at iteration 2. */
function blueGreen(): Release {
  const canary = captured('canaries', 'dev', 'hello-bluegreen');
  canary.status = {
    ...canary.status,
    phase: 'Progressing',
    iterations: 2,
    lastAppliedSpec: '6d4c8b9f57',
    lastTransitionTime: minutesBefore(0.3).replace(/\.\d{3}Z$/, 'Z'),
  };
  const name = 'hello-bluegreen.tap-apps';
  return summarize(
    {
      ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-bluegreen' },
      object: canary,
      target: releasing(
        captured('deployments', 'dev', 'hello-bluegreen'),
        'registry.sandbox.local/tap-apps/hello-bluegreen:v2',
      ),
      primary: captured('deployments', 'dev', 'hello-bluegreen-primary'),
      events: [
        ...capturedEvents('dev', 'hello-bluegreen'),
        flaggerEvent(canary, `New revision detected! Scaling up ${name}`, 1),
        flaggerEvent(canary, `Starting canary analysis for ${name}`, 0.7),
        flaggerEvent(canary, `Advance ${name} canary iteration 1/4`, 0.5),
        flaggerEvent(canary, `Advance ${name} canary iteration 2/4`, 0.3),
      ],
    },
    passing,
  );
}

/**
 * `hello-gated` after every step passed, held at 60% until someone promotes: the captured
 * release up to Flagger's "waiting for promotion approval", before the promotion it shows.
 */
function waitingPromotion(): Release {
  const canary = captured('canaries', 'dev', 'hello-gated');
  const events = capturedEvents('dev', 'hello-gated').filter(
    e => !/^Confirm-promotion check|Promotion completed/.test(e.message),
  );
  canary.status = {
    ...canary.status,
    phase: 'WaitingPromotion',
    canaryWeight: 0,
    lastPromotedSpec: 'a previous revision',
    lastTransitionTime: '2026-11-23T02:30:55Z',
  };
  const primary = captured('deployments', 'dev', 'hello-gated-primary');
  primary.spec.template.spec.containers[0].image =
    'registry.sandbox.local/tap-apps/hello-gated:v1';
  return summarize(
    {
      ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
      object: canary,
      target: releasing(
        captured('deployments', 'dev', 'hello-gated'),
        'registry.sandbox.local/tap-apps/hello-gated:v2',
      ),
      primary,
      events,
    },
    passing,
  );
}

/** The captured rollback of `hello-contour` in prod: success rate 60% against 99%. */
function failed(): Release {
  const release = failedRelease as Obj;
  return summarize(
    {
      ref: { cluster: 'prod', namespace: 'tap-apps', name: 'hello-contour' },
      object: structuredClone(release.canary),
      target: captured('deployments', 'prod', 'hello-contour'),
      primary: captured('deployments', 'prod', 'hello-contour-primary'),
      events: structuredClone(release.events),
    },
    {
      'request-success-rate': { value: 60, primaryValue: 99.9 },
      'request-duration': { value: 230, primaryValue: 201 },
    },
  );
}

/** `hello-gated` in dev as captured: promoted, all traffic on the new primary. */
function succeeded(): Release {
  return summarize(
    {
      ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
      object: captured('canaries', 'dev', 'hello-gated'),
      target: captured('deployments', 'dev', 'hello-gated'),
      primary: captured('deployments', 'dev', 'hello-gated-primary'),
      events: capturedEvents('dev', 'hello-gated'),
    },
    passing,
  );
}

const RELEASES = {
  progressing,
  blueGreen,
  waitingPromotion,
  failed,
  succeeded,
};

export interface FrontendFixtures {
  generatedAt: string;
  /** The summary of each release, as the list and details routes send it. */
  summaries: Record<keyof typeof RELEASES, CanarySummary>;
  /** The Canary of each release, as the details route sends it. */
  manifests: Record<keyof typeof RELEASES, Obj>;
}

export function buildFrontendFixtures(): FrontendFixtures {
  const fixtures: FrontendFixtures = {
    generatedAt: GENERATED_AT,
    summaries: {} as FrontendFixtures['summaries'],
    manifests: {} as FrontendFixtures['manifests'],
  };
  for (const [name, release] of Object.entries(RELEASES)) {
    const key = name as keyof typeof RELEASES;
    const { summary, object } = release();
    fixtures.summaries[key] = summary;
    fixtures.manifests[key] = redactedManifest(object);
  }
  return fixtures;
}

/** The file's text: JSON as prettier writes it, so the committed file passes the format check. */
export function frontendFixturesText(): string {
  return `${JSON.stringify(buildFrontendFixtures(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(FRONTEND_FIXTURES_FILE, frontendFixturesText());
  process.stdout.write(`Wrote ${FRONTEND_FIXTURES_FILE}\n`);
}
