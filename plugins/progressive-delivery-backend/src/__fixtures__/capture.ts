/*
 * Captures real objects from the running sandbox into this directory, for the summary
 * tests: the sample apps' Canaries, the Events about them and their Deployments, from both
 * clusters, as the API server returns them (managedFields removed).
 *
 *   node -r sucrase/register/ts plugins/progressive-delivery-backend/src/__fixtures__/capture.ts [file.json]
 *
 * Default output: sandbox-capture.json. Capture while a release is in the phase you want to
 * keep (e.g. after `npm run sandbox -- release hello-contour --error-rate 0.4` for a rollback).
 */
// A development script, not shipped code: the sandbox is rightly only a devDependency.
// eslint-disable-next-line @backstage/no-undeclared-imports
import {
  adminClient,
  readSandboxInfo,
  SAMPLE_NAMESPACE,
} from '@progressive-delivery/sandbox';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withoutManagedFields } from '../clusters/projections';

type Obj = Record<string, any>;

async function main() {
  const info = readSandboxInfo();
  if (!info)
    throw new Error('The sandbox is not up: run npm run sandbox -- up');
  const output = join(
    info.repoRoot,
    'plugins/progressive-delivery-backend/src/__fixtures__',
    process.argv[2] ?? 'sandbox-capture.json',
  );
  const capture: Obj = {
    capturedAt: new Date().toISOString(),
    source:
      'npm run sandbox (Flagger v1.44.0, kube-apiserver v1.36.3), captured by src/__fixtures__/capture.ts',
    canaries: [],
    events: [],
    deployments: [],
  };
  for (const cluster of Object.keys(info.clusters) as Array<
    keyof typeof info.clusters
  >) {
    const client = adminClient(cluster);
    const canaries = await client.get(
      `/apis/flagger.app/v1beta1/namespaces/${SAMPLE_NAMESPACE}/canaries`,
    );
    const events = await client.get(
      `/api/v1/namespaces/${SAMPLE_NAMESPACE}/events?fieldSelector=${encodeURIComponent(
        'involvedObject.kind=Canary',
      )}`,
    );
    const deployments = await client.get(
      `/apis/apps/v1/namespaces/${SAMPLE_NAMESPACE}/deployments`,
    );
    for (const item of canaries.items)
      capture.canaries.push({ cluster, object: withoutManagedFields(item) });
    for (const item of events.items)
      capture.events.push({ cluster, object: withoutManagedFields(item) });
    for (const item of deployments.items)
      capture.deployments.push({ cluster, object: withoutManagedFields(item) });
  }
  writeFileSync(output, `${JSON.stringify(capture, null, 2)}\n`);
  console.log(
    `Wrote ${output}: ${capture.canaries.length} canaries (${capture.canaries
      .map(
        (c: Obj) =>
          `${c.cluster}/${c.object.metadata.name}=${c.object.status?.phase}`,
      )
      .join(', ')}), ${capture.events.length} events, ${
      capture.deployments.length
    } deployments`,
  );
}

main().catch(error => {
  console.error(error.message);
  process.exit(1);
});
