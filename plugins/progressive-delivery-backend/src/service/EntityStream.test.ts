import { mockCredentials } from '@backstage/backend-test-utils';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ChangeFeed } from './ChangeFeed';
import { EntityCanaries } from './EntityCanaries';
import { EntityStream } from './EntityStream';
import { FakeCanaryStore, gatedCanary } from './testing/fakes';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'hello-gated',
    namespace: 'default',
    annotations: { 'progressive-delivery/workload-name': 'hello-gated' },
  },
};

describe('EntityStream', () => {
  function setUp(allowed = true) {
    const store = new FakeCanaryStore();
    const feed = new ChangeFeed(store);
    const entities = new EntityCanaries({
      store,
      catalog: { getEntityByRef: async () => entity },
      permissions: {
        authorize: async (requests: unknown[]) =>
          requests.map(() => ({
            result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
          })),
      } as any,
    });
    const streams = new EntityStream({ entities, feed, heartbeatMs: 20 });
    const open = () =>
      streams.open(
        'component:default/hello-gated',
        mockCredentials.user('user:default/ana'),
      );
    return { store, feed, open };
  }

  it('frames the changes of the canaries the entity follows, also one created later, and beats', async () => {
    const { store, feed, open } = setUp();
    const changes = await open();
    let text = '';
    const stop = changes.start(chunk => {
      text += chunk;
    });
    expect(text).toBe(': connected\n\n');

    // Created after the stream opened: found on the miss.
    store.put('dev', gatedCanary('Progressing'));
    const unrelated = gatedCanary('Progressing');
    unrelated.metadata.name = 'unrelated';
    unrelated.spec.targetRef.name = 'other-app';
    store.put('dev', unrelated);
    feed.publish({ type: 'cluster-changed', cluster: 'prod' });

    const frames = text
      .split('\n\n')
      .filter(frame => frame.startsWith('event: change'))
      .map(frame => JSON.parse(frame.replace('event: change\ndata: ', '')));
    expect(frames.map(frame => [frame.type, frame.ref?.name])).toEqual([
      ['canary-changed', 'hello-gated'],
      ['cluster-changed', undefined],
    ]);

    await new Promise(resolve => setTimeout(resolve, 50));
    expect(text).toContain(': heartbeat\n\n');
    stop();
    const length = text.length;
    store.put('dev', gatedCanary('WaitingPromotion'));
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(text).toHaveLength(length);
    expect(store.listenerCount()).toBe(0);
  });

  it('refuses before anything is written when the entity may not be read', async () => {
    const { open } = setUp(false);
    await expect(open()).rejects.toThrow(NotAllowedError);
  });
});
