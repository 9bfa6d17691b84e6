import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { StreamMessage } from '@progressive-delivery/plugin-progressive-delivery-common';
import { openPluginDatabase } from '../database/DecisionStore';
import { ChangeFeed } from './ChangeFeed';
import { ReplicaRelay } from './ReplicaRelay';
import { FakeCanaryStore } from './testing/fakes';

const ids: TestDatabaseId[] =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ||
  process.env.PD_SANDBOX_REQUIRED
    ? ['SQLITE_3', 'POSTGRES_15']
    : ['SQLITE_3'];
const databases = TestDatabases.create({ ids });

const checkout = { cluster: 'prod', namespace: 'shop', name: 'checkout' };
const cart = { cluster: 'dev', namespace: 'shop', name: 'cart' };

describe.each(databases.eachSupportedId())('ReplicaRelay on %p', databaseId => {
  it("tells this replica's subscribers about actions taken through another replica, once each", async () => {
    const knex = await databases.init(databaseId);
    const replicaA = (await openPluginDatabase(knex)).attempts;
    const replicaB = (await openPluginDatabase(knex)).attempts;
    const attempt = (ref: typeof checkout) =>
      replicaA.recordAttempt({
        ref,
        revision: 'r1',
        action: 'promote',
        actor: 'user:default/ana',
        outcome: 'accepted',
      });
    await attempt(cart); // before B started following: not news to B

    const feed = new ChangeFeed(new FakeCanaryStore());
    const heard: StreamMessage[] = [];
    feed.subscribe(message => heard.push(message));
    const relay = new ReplicaRelay({
      attempts: replicaB,
      feed,
      logger: mockServices.logger.mock(),
      pollMs: 60_000,
    });
    await relay.start();
    await relay.poll();
    expect(heard).toEqual([]);

    await attempt(checkout);
    await attempt(checkout);
    await attempt(cart);
    await relay.poll();
    expect(heard.map(message => [message.type, message.ref])).toEqual([
      ['canary-changed', checkout],
      ['canary-changed', cart],
    ]);
    await relay.poll();
    expect(heard).toHaveLength(2);
    await relay.stop();
  });
});
