import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findRepoRoot } from './config';
import {
  baseObjects,
  canaryFor,
  portalWebhooks,
  deploymentFor,
  extractCrds,
  portalRbac,
  SAMPLE_APPS,
  sampleAppObjects,
} from './manifests';

const app = (name: string) => SAMPLE_APPS.find(a => a.name === name)!;

describe('extractCrds', () => {
  // Flagger's crd.yaml continues quoted descriptions at the key's indentation; Go's YAML
  // parser accepts that and so must we.
  const text = `
# header
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: canaries.flagger.app
spec:
  versions:
    - schema:
        openAPIV3Schema:
          properties:
            apiVersion:
              description: 'APIVersion defines the versioned schema of this representation
              of an object. More info: https://example'
              type: string
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: other.example.com
---
apiVersion: v1
kind: Namespace
metadata:
  name: ignored
`;

  it('picks the named CRDs and parses Go-style YAML', () => {
    const [crd] = extractCrds(text, ['canaries.flagger.app']);
    const props = (crd as any).spec.versions[0].schema.openAPIV3Schema
      .properties;
    expect(props.apiVersion.description).toBe(
      'APIVersion defines the versioned schema of this representation of an object. More info: https://example',
    );
    expect(extractCrds(text)).toHaveLength(2);
  });

  it('fails when a wanted CRD is missing', () => {
    expect(() => extractCrds(text, ['workloads.carto.run'])).toThrow(
      /workloads.carto.run/,
    );
  });
});

describe('sample apps', () => {
  it('are shaped like TAP output, with Flagger-compatible selectors', () => {
    const d: any = deploymentFor(app('hello-contour'));
    expect(d.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'hello-contour',
    });
    expect(d.spec.template.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'hello-contour',
      'app.kubernetes.io/part-of': 'hello-contour',
      'carto.run/workload-name': 'hello-contour',
    });
    expect(d.spec.template.metadata.annotations).toEqual({
      'sandbox.progressive-delivery.dev/revision': '1',
      'sandbox.progressive-delivery.dev/error-rate': '0',
      'sandbox.progressive-delivery.dev/latency-ms': '20',
    });
  });

  it('makes a progressive contour canary and an iteration-based blue-green one', () => {
    const contour: any = canaryFor(app('hello-contour'), 'dev');
    expect(contour.spec.provider).toBe('contour');
    expect(contour.spec.analysis).toMatchObject({
      interval: '10s',
      stepWeight: 20,
      maxWeight: 60,
    });
    expect(contour.spec.analysis.iterations).toBeUndefined();
    expect(contour.metadata.labels['app.kubernetes.io/part-of']).toBe(
      'hello-contour',
    );
    const bg: any = canaryFor(app('hello-bluegreen'), 'dev');
    expect(bg.spec.provider).toBe('kubernetes');
    expect(bg.spec.analysis).toMatchObject({ iterations: 4 });
    expect(bg.spec.analysis.stepWeight).toBeUndefined();
    for (const c of [contour, bg]) {
      expect(c.spec.analysis.metrics.map((m: any) => m.name)).toEqual([
        'request-success-rate',
        'request-duration',
      ]);
      expect(c.spec.analysis.webhooks).toBeUndefined();
    }
  });

  it('points hello-gated at the portal gates of its cluster', () => {
    const gated: any = canaryFor(app('hello-gated'), 'prod', {
      PD_WEBHOOK_BASE_URL: 'http://127.0.0.1:9999/hooks/',
    });
    expect(
      gated.spec.analysis.webhooks.map((w: any) => [w.type, w.url]),
    ).toEqual([
      [
        'confirm-rollout',
        'http://127.0.0.1:9999/hooks/prod/gates/confirm-rollout',
      ],
      [
        'confirm-traffic-increase',
        'http://127.0.0.1:9999/hooks/prod/gates/confirm-traffic-increase',
      ],
      [
        'confirm-promotion',
        'http://127.0.0.1:9999/hooks/prod/gates/confirm-promotion',
      ],
      ['rollback', 'http://127.0.0.1:9999/hooks/prod/gates/rollback'],
      ['event', 'http://127.0.0.1:9999/hooks/prod/event'],
    ]);
    const byDefault: any = canaryFor(app('hello-gated'), 'dev', {});
    expect(byDefault.spec.analysis.webhooks[0].url).toBe(
      'http://127.0.0.1:7007/api/progressive-delivery/webhooks/dev/gates/confirm-rollout',
    );
  });

  it("carries the cluster's webhook secret in every portal webhook's metadata when one is set", () => {
    const env = { PD_SANDBOX_PROD_WEBHOOK_SECRET: 'prod-secret' };
    const prod: any = canaryFor(app('hello-gated'), 'prod', env);
    expect(prod.spec.analysis.webhooks.map((w: any) => w.metadata)).toEqual(
      Array(5).fill({ secret: 'prod-secret' }),
    );
    // Each cluster its own: dev's Canary does not get prod's secret.
    const dev: any = canaryFor(app('hello-gated'), 'dev', env);
    expect(
      dev.spec.analysis.webhooks.every((w: any) => w.metadata === undefined),
    ).toBe(true);
    expect(portalWebhooks('dev', env, 'dev-secret')[0]).toMatchObject({
      url: 'http://127.0.0.1:7007/api/progressive-delivery/webhooks/dev/gates/confirm-rollout',
      metadata: { secret: 'dev-secret' },
    });
  });

  it('names the entity each app may be steered through on Workload, Deployment and Canary', () => {
    for (const object of sampleAppObjects('dev').filter(o =>
      ['Workload', 'Deployment', 'Canary'].includes(o.kind),
    )) {
      expect(object.metadata.labels?.['backstage.io/kubernetes-id']).toBe(
        object.kind === 'Canary'
          ? (object.spec as any).targetRef.name
          : object.metadata.name,
      );
    }
  });

  it("calls Flagger's loadtester from hello-loadtested as Flagger's docs do", () => {
    const canary: any = canaryFor(app('hello-loadtested'), 'dev', {});
    expect(
      canary.spec.analysis.webhooks.map((w: any) => [w.type, w.url]),
    ).toEqual([
      ['confirm-rollout', 'http://flagger-loadtester.test/gate/check'],
      ['pre-rollout', 'http://flagger-loadtester.test/'],
      ['rollout', 'http://flagger-loadtester.test/'],
    ]);
    expect(canary.spec.analysis.webhooks[1].metadata).toEqual({
      type: 'bash',
      cmd: 'curl -sf http://hello-loadtested-canary.tap-apps/',
    });
    expect(canary.spec.analysis.webhooks[2].metadata.cmd).toMatch(
      /^hey .* http:\/\/hello-loadtested-canary\.tap-apps\/$/,
    );
  });

  it("gives the loadtester a Service where Flagger's docs address it, backed by its loopback port", () => {
    const service: any = baseObjects(18090).find(o => o.kind === 'Service');
    expect(service.metadata).toMatchObject({
      name: 'flagger-loadtester',
      namespace: 'test',
      annotations: { 'sandbox.progressive-delivery.dev/host-port': '18090' },
    });
    expect(service.spec.selector).toBeUndefined();
    expect(service.spec.ports[0].port).toBe(80);
  });

  it('creates a Workload, a Deployment and a Canary per app', () => {
    expect(
      sampleAppObjects('dev', {}).map(o => `${o.kind}/${o.metadata.name}`),
    ).toEqual(
      SAMPLE_APPS.flatMap(a => [
        `Workload/${a.name}`,
        `Deployment/${a.name}`,
        `Canary/${a.name}`,
      ]),
    );
  });

  it("gives the portal exactly the README's read-only ClusterRole, so the tests prove it is enough", () => {
    const role: any = portalRbac().find(
      o =>
        o.kind === 'ClusterRole' && o.metadata.name === 'progressive-delivery',
    );
    const readme = readFileSync(join(findRepoRoot(), 'README.md'), 'utf8');
    const documented = readme
      .split('```yaml')
      .map(block => block.split('```')[0])
      .flatMap(block => parseAllDocuments(block).map(doc => doc.toJSON()))
      .find(
        (doc: any) =>
          doc?.kind === 'ClusterRole' &&
          doc.metadata?.name === 'backstage-progressive-delivery',
      );
    expect(documented).toBeDefined();
    expect(role.rules).toEqual(documented.rules);
    expect(
      role.rules
        .flatMap((r: any) => r.verbs)
        .filter((v: string) => !['get', 'list', 'watch'].includes(v)),
    ).toEqual([]);
  });
});
