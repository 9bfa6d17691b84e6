import {
  CanaryListResponse,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { encodedOnce, RecentSummaries } from './RecentSummaries';

class FakeFeed {
  readonly listeners = new Set<(message: StreamMessage) => void>();
  subscribe(listener: (message: StreamMessage) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  publish(message: Omit<StreamMessage, 'at'>) {
    for (const listener of this.listeners)
      listener({ ...message, at: new Date().toISOString() });
  }
}

const ref = (name: string, namespace = 'tap-apps') => ({
  cluster: 'dev',
  namespace,
  name,
});

/** A list answer naming the given canaries, and how often one was made. */
function maker(names: string[]) {
  const made = { count: 0 };
  const make = async (): Promise<CanaryListResponse> => {
    made.count++;
    return {
      items: names.map(name => ({ ref: ref(name) })) as any,
      clusters: [],
      selector: { workloadNames: ['hello'], canaries: [] } as any,
    };
  };
  return { made, make };
}

function setUp(selected: string[] = ['dev/tap-apps/hello']) {
  const feed = new FakeFeed();
  let now = 1_000_000;
  const selection = new Set(selected);
  const recent = new RecentSummaries({
    feed,
    selectedKeys: () => selection,
    now: () => now,
  });
  recent.start();
  return {
    feed,
    recent,
    selection,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('RecentSummaries', () => {
  it('makes one answer for callers at once and shortly after', async () => {
    const { recent } = setUp();
    const { made, make } = maker(['hello']);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => recent.get('component:default/a', make)),
    );
    await recent.get('component:default/a', make);
    expect(made.count).toBe(1);
    expect(new Set(answers).size).toBe(1);
    expect(answers[0].items).toHaveLength(1);
    recent.stop();
  });

  it('makes the answer again once a second has passed', async () => {
    const { recent, advance } = setUp();
    const { made, make } = maker(['hello']);
    await recent.get('component:default/a', make);
    advance(999);
    await recent.get('component:default/a', make);
    expect(made.count).toBe(1);
    advance(1);
    await recent.get('component:default/a', make);
    expect(made.count).toBe(2);
    recent.stop();
  });

  it('makes the answer again after a change of a canary it shows, or of a cluster', async () => {
    const { recent, feed } = setUp();
    const { made, make } = maker(['hello']);
    await recent.get('component:default/a', make);
    feed.publish({ type: 'canary-changed', ref: ref('hello') });
    await recent.get('component:default/a', make);
    expect(made.count).toBe(2);
    feed.publish({ type: 'cluster-changed' });
    await recent.get('component:default/a', make);
    expect(made.count).toBe(3);
    recent.stop();
  });

  it('makes the answer again when a canary new to the entity appears, not for another one', async () => {
    const { recent, feed, selection } = setUp();
    const { made, make } = maker(['hello']);
    await recent.get('component:default/a', make);
    feed.publish({ type: 'canary-changed', ref: ref('other', 'elsewhere') });
    await recent.get('component:default/a', make);
    expect(made.count).toBe(1);
    selection.add('dev/staging/hello');
    feed.publish({ type: 'canary-changed', ref: ref('hello', 'staging') });
    await recent.get('component:default/a', make);
    expect(made.count).toBe(2);
    recent.stop();
  });

  it('does not keep an answer made while something changed', async () => {
    const { recent, feed } = setUp();
    let release = () => {};
    const { made, make } = maker(['hello']);
    const slow = async () => {
      await new Promise<void>(resolve => {
        release = resolve;
      });
      return make();
    };
    const first = recent.get('component:default/a', slow);
    feed.publish({ type: 'history-changed', ref: ref('unrelated', 'x') });
    release();
    await first;
    await recent.get('component:default/a', make);
    expect(made.count).toBe(2);
    recent.stop();
  });

  it('keeps entities apart, and shares nothing when not started', async () => {
    const { recent } = setUp();
    const a = maker(['hello']);
    const b = maker(['hello']);
    await recent.get('component:default/a', a.make);
    await recent.get('component:default/b', b.make);
    expect([a.made.count, b.made.count]).toEqual([1, 1]);
    recent.stop();
    await recent.get('component:default/a', a.make);
    await recent.get('component:default/a', a.make);
    expect(a.made.count).toBe(3);
  });
});

describe('encodedOnce', () => {
  it('encodes an answer once, and tags different answers differently', () => {
    const answer = { items: [{ name: 'a' }] };
    const first = encodedOnce(answer);
    expect(encodedOnce(answer)).toBe(first);
    expect(JSON.parse(first.body.toString('utf8'))).toEqual(answer);
    expect(first.etag).toMatch(/^W\/"[0-9a-f]+-[\w-]+"$/);
    expect(encodedOnce({ items: [{ name: 'b' }] }).etag).not.toBe(first.etag);
  });
});
