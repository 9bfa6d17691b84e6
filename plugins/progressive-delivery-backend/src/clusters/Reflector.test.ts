import { KubeRequestError } from './KubeTransport';
import { Reflector, ReflectorState } from './Reflector';
import { FakeKubeTransport, settle } from './testing/FakeKubeTransport';

type Obj = Record<string, any>;
const PATH = '/apis/flagger.app/v1beta1/canaries';

const canary = (name: string, extra: Obj = {}) => ({
  metadata: {
    name,
    namespace: 'shop',
    managedFields: [{ manager: 'kubectl' }],
  },
  spec: { targetRef: { name } },
  ...extra,
});

function setup(
  options: {
    optional?: boolean;
    pageSize?: number;
    absentRetryMs?: number;
    onExpired?: () => void;
  } = {},
) {
  const transport = new FakeKubeTransport();
  transport.collections.set(PATH, new Map());
  const objects = new Map<string, Obj>();
  const states: ReflectorState[] = [];
  let contacts = 0;
  const sink = {
    replace: jest.fn((list: Obj[]) => {
      objects.clear();
      for (const object of list) objects.set(object.metadata.name, object);
    }),
    upsert: jest.fn((object: Obj) => objects.set(object.metadata.name, object)),
    remove: jest.fn((object: Obj) => objects.delete(object.metadata.name)),
  };
  const reflector = new Reflector({
    what: 'canaries',
    path: PATH,
    transport,
    sink,
    transform: ({
      metadata: { managedFields: _dropped, ...metadata },
      ...rest
    }) => ({ ...rest, metadata }),
    onState: state => states.push(state),
    onContact: () => {
      contacts += 1;
    },
    initialBackoffMs: 2,
    maxBackoffMs: 8,
    random: () => 0.5,
    ...options,
  });
  return {
    transport,
    objects,
    states,
    sink,
    reflector,
    contacts: () => contacts,
  };
}

describe('Reflector', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('lists in pages, then watches from the list resourceVersion with bookmarks', async () => {
    const { transport, objects, reflector, states, contacts } = setup({
      pageSize: 2,
    });
    for (const name of ['a', 'b', 'c'])
      transport.applySilently(PATH, canary(name));
    await reflector.start();

    const gets = transport.requests.filter(r => r.verb === 'get');
    expect(gets.map(r => r.query.continue)).toEqual([undefined, '2']);
    expect(gets[0].query.limit).toBe('2');
    expect([...objects.keys()]).toEqual(['a', 'b', 'c']);
    expect(objects.get('a')!.metadata.managedFields).toBeUndefined();

    const [watch] = transport.openWatches(PATH);
    expect(watch.query).toMatchObject({
      resourceVersion: '103',
      allowWatchBookmarks: 'true',
    });
    expect(Number(watch.query.timeoutSeconds)).toBeGreaterThanOrEqual(300);
    expect(states).toEqual([{ state: 'ok' }]);
    expect(contacts()).toBeGreaterThanOrEqual(3);
    reflector.stop();
  });

  it('applies watch events and keeps the resourceVersion of bookmarks', async () => {
    const { transport, objects, reflector } = setup();
    await reflector.start();
    transport.apply(PATH, canary('a'));
    transport.apply(PATH, canary('a', { status: { phase: 'Progressing' } }));
    expect(objects.get('a')!.status.phase).toBe('Progressing');
    transport.delete(PATH, 'shop', 'a');
    expect(objects.has('a')).toBe(false);

    transport
      .openWatches(PATH)[0]
      .onEvent('BOOKMARK', { metadata: { resourceVersion: '555' } });
    transport.closeWatches(PATH);
    await settle();
    expect(transport.openWatches(PATH)).toHaveLength(1);
    expect(transport.openWatches(PATH)[0].query.resourceVersion).toBe('555');
    expect(transport.requests.filter(r => r.verb === 'get')).toHaveLength(1);
    reflector.stop();
  });

  it('lists again after 410 Gone and drops what disappeared meanwhile', async () => {
    const onExpired = jest.fn();
    const { transport, objects, reflector } = setup({ onExpired });
    transport.applySilently(PATH, canary('old'));
    await reflector.start();
    expect(objects.has('old')).toBe(true);

    transport.collections.get(PATH)!.clear();
    transport.applySilently(PATH, canary('new'));
    transport.closeWatches(PATH, 'gone');
    await settle();

    expect(transport.requests.filter(r => r.verb === 'get')).toHaveLength(2);
    expect([...objects.keys()]).toEqual(['new']);
    expect(transport.openWatches(PATH)).toHaveLength(1);
    expect(onExpired).toHaveBeenCalledTimes(1);
    reflector.stop();
  });

  it('treats a 410 when starting the watch like an expired resourceVersion', async () => {
    const onExpired = jest.fn();
    const { transport, reflector } = setup({ onExpired });
    await reflector.start();
    transport.closeWatches(PATH, new KubeRequestError('HTTP 410: Gone', 410));
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(transport.requests.filter(r => r.verb === 'get')).toHaveLength(2);
    expect(onExpired).toHaveBeenCalledTimes(1);
    reflector.stop();
  });

  it('reports an error with the API server message, keeps the objects, and retries with backoff', async () => {
    const { transport, objects, reflector, states } = setup();
    transport.applySilently(PATH, canary('a'));
    await reflector.start();

    transport.failures.push(
      new KubeRequestError('connection refused (127.0.0.1:26443)'),
    );
    transport.failures.push(
      new KubeRequestError('connection refused (127.0.0.1:26443)'),
    );
    transport.closeWatches(PATH, 'gone');
    await settle();
    expect(states.at(-1)).toEqual({
      state: 'error',
      error: 'connection refused (127.0.0.1:26443)',
    });
    expect(objects.has('a')).toBe(true);

    await new Promise(resolve => setTimeout(resolve, 50));
    await settle();
    expect(states.at(-1)).toEqual({ state: 'ok' });
    expect(transport.requests.filter(r => r.verb === 'get')).toHaveLength(4);
    expect(transport.openWatches(PATH)).toHaveLength(1);
    reflector.stop();
  });

  it('backs off exponentially with jitter up to the maximum', async () => {
    jest.useFakeTimers();
    const { transport, reflector } = setup();
    const delays: number[] = [];
    const realSetTimeout = setTimeout;
    jest.spyOn(global, 'setTimeout').mockImplementation(((
      fn: () => void,
      ms: number,
    ) => {
      if (ms < 1000) delays.push(ms);
      return realSetTimeout(fn, ms);
    }) as any);
    for (let i = 0; i < 5; i++)
      transport.failures.push(new KubeRequestError('HTTP 500: boom', 500));
    await reflector.start();
    for (let i = 0; i < 5; i++) {
      await jest.advanceTimersByTimeAsync(10);
    }
    // ceiling 2, 4, 8, 8, 8 ms; equal jitter with random 0.5 gives three quarters of it
    expect(delays.slice(0, 5)).toEqual([1.5, 3, 6, 6, 6]);
    reflector.stop();
  });

  it('tolerates an optional resource whose CRD is absent, and finds it once installed', async () => {
    const { transport, reflector, states, sink } = setup({
      optional: true,
      absentRetryMs: 5,
    });
    transport.collections.delete(PATH);
    transport.missing.add(PATH);
    await reflector.start();
    expect(states).toEqual([{ state: 'absent' }]);
    expect(sink.replace).toHaveBeenCalledWith([]);
    expect(transport.openWatches()).toHaveLength(0);

    transport.missing.delete(PATH);
    transport.applySilently(PATH, canary('a'));
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(states.at(-1)).toEqual({ state: 'ok' });
    expect(transport.openWatches(PATH)).toHaveLength(1);
    reflector.stop();
  });

  it('says which CRD is missing when a required resource answers 404', async () => {
    const { transport, reflector, states } = setup();
    transport.collections.delete(PATH);
    transport.missing.add(PATH);
    await reflector.start();
    expect(states[0]).toMatchObject({ state: 'error' });
    expect((states[0] as any).error).toContain(
      `is the CRD behind ${PATH} installed?`,
    );
    reflector.stop();
  });

  it('restarts a watch that went silent for longer than its timeout', async () => {
    jest.useFakeTimers();
    const { transport, reflector } = setup();
    await reflector.start();
    const [first] = transport.openWatches(PATH);
    const timeout = Number(first.query.timeoutSeconds);
    await jest.advanceTimersByTimeAsync((timeout + 61) * 1000);
    expect(first.closed).toBe(true);
    expect(transport.openWatches(PATH)).toHaveLength(1);
    expect(transport.openWatches(PATH)[0]).not.toBe(first);
    reflector.stop();
  });

  it('stops watching and retrying when stopped', async () => {
    const { transport, reflector } = setup();
    await reflector.start();
    reflector.stop();
    expect(transport.openWatches()).toHaveLength(0);
    transport.closeWatches(PATH, new Error('late'));
    await settle();
    expect(transport.requests.filter(r => r.verb === 'get')).toHaveLength(1);
  });
});
