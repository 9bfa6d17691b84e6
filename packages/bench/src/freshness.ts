/* The freshness row: how soon a status change on a real API server reaches our stream. */
import { adminClient, ClusterName } from '@progressive-delivery/sandbox';
import {
  BENCH_APP,
  BENCH_APP_NAMESPACE,
  backingServer,
  freshnessStatus,
} from './canaries';
import { patchCanaryStatus } from './cluster';
import { sleep } from './log';
import { PortalClient } from './portalClient';
import { subscribe } from './sse';

export const FRESHNESS_PATCHES = 100;
const FRESHNESS_TIMEOUT_MS = 5_000;

/** One status change awaited on the stream: when it was sent and which views announced it. */
interface AwaitedChange {
  sentAt: number;
  firstAt?: number;
  seen: Set<string>;
  done: () => void;
}

/**
 * Time from PATCHing the bench canary's status on a real server to the `canary-changed`
 * message for it on our stream: to the first proxied view of that server, and to all of them.
 */
export async function measureFreshness(
  portal: PortalClient,
  entityRef: string,
  clusterNames: string[],
): Promise<{ first: number[]; all: number[]; missed: number }> {
  const server: ClusterName = 'dev';
  const views = clusterNames.filter((_, i) => backingServer(i) === server);
  const client = adminClient(server);
  const state: { awaited?: AwaitedChange } = {};
  const subscription = subscribe(
    portal.streamUrl(entityRef),
    portal.headers,
    (event, receivedAt) => {
      const awaited = state.awaited;
      if (!awaited || event.event !== 'change') return;
      const message = JSON.parse(event.data);
      const ref = message.ref;
      if (
        message.type !== 'canary-changed' ||
        ref?.name !== BENCH_APP ||
        ref?.namespace !== BENCH_APP_NAMESPACE ||
        !views.includes(ref.cluster)
      ) {
        return;
      }
      awaited.firstAt ??= receivedAt;
      awaited.seen.add(ref.cluster);
      if (awaited.seen.size === views.length) awaited.done();
    },
  );
  /** PATCHes the i-th status and waits for its messages; undefined when they did not all come. */
  const changeOnce = async (i: number) => {
    let done = () => {};
    const arrived = new Promise<'arrived'>(resolve => {
      done = () => resolve('arrived');
    });
    const awaited: AwaitedChange = {
      sentAt: performance.now(),
      seen: new Set(),
      done,
    };
    state.awaited = awaited;
    await patchCanaryStatus(
      client,
      BENCH_APP_NAMESPACE,
      BENCH_APP,
      freshnessStatus(i, new Date()),
    );
    const outcome = await Promise.race([
      arrived,
      sleep(FRESHNESS_TIMEOUT_MS).then(() => 'timeout' as const),
    ]);
    state.awaited = undefined;
    return {
      first:
        (awaited.firstAt ?? awaited.sentAt + FRESHNESS_TIMEOUT_MS) -
        awaited.sentAt,
      all:
        outcome === 'arrived'
          ? performance.now() - awaited.sentAt
          : FRESHNESS_TIMEOUT_MS,
      missed: outcome !== 'arrived',
    };
  };
  const first: number[] = [];
  const all: number[] = [];
  let missed = 0;
  try {
    await subscription.opened;
    await sleep(500);
    for (let i = 0; i < FRESHNESS_PATCHES; i++) {
      const result = await changeOnce(i);
      first.push(result.first);
      all.push(result.all);
      if (result.missed) missed++;
      await sleep(50);
    }
  } finally {
    subscription.close();
  }
  return { first, all, missed };
}
