import { mockCredentials } from '@backstage/backend-test-utils';
import { NotAllowedError } from '@backstage/errors';
import { ENTITY_REF, helloGatedEntities } from '../__testUtils__/harness';
import { ChangeFeed } from './ChangeFeed';
import { EntityStream } from './EntityStream';
import { FakeCanaryStore, gatedCanary } from './testing/fakes';

describe('EntityStream', () => {
  function setUp(allowed = true) {
    const store = new FakeCanaryStore();
    const feed = new ChangeFeed(store);
    const entities = helloGatedEntities(store, allowed);
    const streams = new EntityStream({
      entities,
      feed,
      heartbeatMs: 20,
      maxPerPrincipal: 5,
      maxTotal: 10,
    });
    const open = () =>
      streams.open(ENTITY_REF, mockCredentials.user('user:default/ana'));
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
