import { ClusterIndex, WORKLOAD_NAME_LABEL } from './ClusterIndex';

function canary(
  namespace: string,
  name: string,
  target: string,
  labels: Record<string, string> = {},
  resourceVersion = '1',
) {
  return {
    metadata: { namespace, name, labels, resourceVersion },
    spec: { targetRef: { kind: 'Deployment', name: target } },
  };
}

function deployment(namespace: string, name: string, workload: string) {
  return {
    metadata: {
      namespace,
      name,
      resourceVersion: '1',
      labels: { [WORKLOAD_NAME_LABEL]: workload },
    },
  };
}

const sorted = (keys: Iterable<string>) => [...keys].sort();

describe('ClusterIndex', () => {
  it('finds canaries by target, workload, namespace and label, one or many to a key', () => {
    const index = new ClusterIndex(() => {});
    index.canaries.replace([
      canary('apps', 'web', 'web', { app: 'web', tier: 'front' }),
      canary('staging', 'web', 'web', { app: 'web', tier: 'front' }),
      canary('apps', 'api', 'api', { app: 'api' }),
    ]);
    index.deployments.replace([
      deployment('apps', 'web', 'web-workload'),
      deployment('staging', 'web', 'web-workload'),
    ]);

    expect(sorted(index.canaryKeysByTargetName('web'))).toEqual([
      'apps/web',
      'staging/web',
    ]);
    expect(index.canaryKeysByTarget('apps', 'web')).toEqual(['apps/web']);
    expect(index.canaryKeysByTarget('apps', 'api')).toEqual(['apps/api']);
    expect(index.canaryKeysByTarget('other', 'web')).toEqual([]);
    expect(sorted(index.canaryKeysByWorkload('web-workload'))).toEqual([
      'apps/web',
      'staging/web',
    ]);
    expect(sorted(index.canaryKeysInNamespace('apps'))).toEqual([
      'apps/api',
      'apps/web',
    ]);
    expect(sorted(index.canaryKeysWithLabel('app', 'web'))).toEqual([
      'apps/web',
      'staging/web',
    ]);
    expect(sorted(index.canaryKeysWithLabel('app', 'api'))).toEqual([
      'apps/api',
    ]);
    expect(sorted(index.canaryKeysWithLabel('tier'))).toEqual([
      'apps/web',
      'staging/web',
    ]);
    expect(sorted(index.canaryKeysWithLabel('app', 'none'))).toEqual([]);
    expect(sorted(index.canaryKeysWithLabel('none'))).toEqual([]);
  });

  it('forgets what a changed or removed canary no longer has', () => {
    const index = new ClusterIndex(() => {});
    index.canaries.replace([
      canary('apps', 'web', 'web', { app: 'web' }),
      canary('staging', 'web', 'web', { app: 'web' }),
    ]);

    index.canaries.upsert(
      canary('apps', 'web', 'web-v2', { app: 'web-v2' }, '2'),
    );
    expect(sorted(index.canaryKeysByTargetName('web'))).toEqual([
      'staging/web',
    ]);
    expect(sorted(index.canaryKeysByTargetName('web-v2'))).toEqual([
      'apps/web',
    ]);
    expect(sorted(index.canaryKeysWithLabel('app', 'web'))).toEqual([
      'staging/web',
    ]);

    index.canaries.remove(canary('staging', 'web', 'web'));
    expect(sorted(index.canaryKeysByTargetName('web'))).toEqual([]);
    expect(sorted(index.canaryKeysWithLabel('app', 'web'))).toEqual([]);
    expect(sorted(index.canaryKeysWithLabel('app'))).toEqual(['apps/web']);

    index.canaries.replace([]);
    expect(sorted(index.canaryKeysByTargetName('web-v2'))).toEqual([]);
    expect(sorted(index.canaryKeysInNamespace('apps'))).toEqual([]);
    expect(index.canaryCount).toBe(0);
  });
});
