import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { openPluginDatabase, PluginDatabase } from '../database/DecisionStore';
import { CanaryOwners, EntityLister } from './CanaryOwners';
import { ReleaseNotifier } from './ReleaseNotifier';
import { FakeCanaryStore, FakeSummarizer, gatedCanary } from './testing/fakes';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/** What a notification service was asked to send; `failNext` makes the next send throw. */
class FakeNotifications {
  sent: NotificationSendOptions[] = [];
  failNext = false;
  async send(options: NotificationSendOptions) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('Failed to send notifications: 503');
    }
    this.sent.push(options);
  }
}

const entity = (name: string, annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { owner: 'group:default/team-delivery' },
});

/** The catalog's answer to the opted-in query, counting the calls. */
class FakeCatalog implements EntityLister {
  calls = 0;
  entities: Entity[] = [
    entity('hello-gated', {
      'progressive-delivery/workload-name': 'hello-gated',
    }),
    entity('platform', {
      'progressive-delivery/canaries': 'dev/tap-apps/hello-gated',
    }),
    entity('other', { 'progressive-delivery/workload-name': 'other-app' }),
  ];
  async getEntities() {
    this.calls++;
    return { items: this.entities };
  }
}

const deployment = (name: string, image: string) => ({
  metadata: { name },
  spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
});

describe('ReleaseNotifier', () => {
  function notifierOver(
    db: PluginDatabase,
    store: FakeCanaryStore,
    notifications: FakeNotifications,
    catalog = new FakeCatalog(),
  ) {
    const notifier = new ReleaseNotifier({
      store,
      summarizer: new FakeSummarizer(),
      decisions: db.decisions,
      rollouts: db.rollouts,
      notices: db.notices,
      owners: new CanaryOwners({
        store,
        catalog,
        credentials: async () => mockServices.auth().getOwnServiceCredentials(),
      }),
      notifications,
      logger: mockServices.logger.mock(),
      tabPath: 'progressive-delivery',
    });
    notifier.start();
    return notifier;
  }

  const waiting = () => ({
    target: deployment('hello-gated', 'registry.local/hello:2'),
    primary: deployment('hello-gated-primary', 'registry.local/hello:1'),
  });

  it('tells every entity of a canary once that its release waits at a portal gate, across replicas', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const notifications = new FakeNotifications();
    // Two replicas over the same database, watching the same canary.
    const replicas = [
      notifierOver(db, store, notifications),
      notifierOver(db, store, notifications),
    ];
    store.put('dev', gatedCanary('Waiting'), waiting());
    store.put('dev', gatedCanary('Waiting'), waiting());
    await Promise.all(replicas.map(r => r.idle()));

    expect(notifications.sent).toHaveLength(1);
    const [sent] = notifications.sent;
    expect(sent.recipients).toEqual({
      type: 'entity',
      entityRef: [
        'component:default/hello-gated',
        'component:default/platform',
      ],
    });
    expect(sent.payload).toMatchObject({
      title: 'Release of hello-gated waits for approval to start its rollout',
      severity: 'high',
      topic: 'progressive-delivery',
      link: '/catalog/default/component/hello-gated/progressive-delivery#pd-row-dev-tap-apps-hello-gated',
    });
    expect(sent.payload.description).toContain('registry.local/hello:2');
    expect(sent.payload.description).toContain(
      'Waiting for approval to start the rollout',
    );

    // Another release waiting at the same gate (new images, same previous revision) is news.
    store.put('dev', gatedCanary('Waiting'), {
      ...waiting(),
      target: deployment('hello-gated', 'registry.local/hello:3'),
    });
    await Promise.all(replicas.map(r => r.idle()));
    expect(notifications.sent).toHaveLength(2);
    replicas.forEach(r => r.stop());
  });

  it('tells of a rollback that just happened, with how far it got, and not of an old one', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const notifications = new FakeNotifications();
    const notifier = notifierOver(db, store, notifications);
    const failed = gatedCanary('Failed');
    failed.status.lastTransitionTime = new Date().toISOString();
    store.put('dev', failed, {
      ...waiting(),
      events: [
        { message: 'New revision detected! Scaling up hello-gated.tap-apps' },
        { message: 'Advance hello-gated.tap-apps canary weight 20' },
        {
          type: 'Warning',
          message:
            'Halt hello-gated.tap-apps advancement success rate 91.20% < 99%',
        },
        {
          type: 'Warning',
          message:
            'Rolling back hello-gated.tap-apps failed checks threshold reached 3',
        },
      ],
    });
    await notifier.idle();
    expect(notifications.sent).toHaveLength(1);
    expect(notifications.sent[0].payload).toMatchObject({
      title: 'Release of hello-gated was rolled back',
      severity: 'critical',
    });
    expect(notifications.sent[0].payload.description).toContain(
      'Rolled back: request-success-rate 91.20% < 99%',
    );
    expect(notifications.sent[0].payload.description).toContain(
      'It reached step 1 of 3 (20% of traffic)',
    );

    const other = gatedCanary('Failed');
    other.metadata.name = 'other';
    other.spec.targetRef.name = 'other-app';
    other.status.lastAppliedSpec = 'another';
    other.status.lastTransitionTime = '2026-01-01T00:00:00Z';
    store.put('dev', other);
    await notifier.idle();
    expect(notifications.sent).toHaveLength(1);
    notifier.stop();
  });

  it('tells of each rollback once, though Flagger records the next revision while still Failed', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const notifications = new FakeNotifications();
    const notifier = notifierOver(db, store, notifications);
    const rolledBack = gatedCanary('Failed');
    rolledBack.status.lastTransitionTime = new Date().toISOString();
    store.put('dev', rolledBack, waiting());
    await notifier.idle();
    expect(notifications.sent).toHaveLength(1);

    // The next release: Flagger writes its revision (and the time) before leaving Failed.
    const nextRevision = gatedCanary('Failed');
    nextRevision.status.lastAppliedSpec = 'the-next-release';
    nextRevision.status.lastTransitionTime = new Date().toISOString();
    store.put('dev', nextRevision, {
      ...waiting(),
      target: deployment('hello-gated', 'registry.local/hello:3'),
    });
    await notifier.idle();
    expect(notifications.sent).toHaveLength(1);

    // That release runs and is rolled back in its turn: news again.
    const progressing = gatedCanary('Progressing');
    progressing.status.lastAppliedSpec = 'the-next-release';
    store.put('dev', progressing, {
      ...waiting(),
      target: deployment('hello-gated', 'registry.local/hello:3'),
    });
    await notifier.idle();
    const rolledBackAgain = gatedCanary('Failed');
    rolledBackAgain.status.lastAppliedSpec = 'the-next-release';
    rolledBackAgain.status.lastTransitionTime = new Date().toISOString();
    store.put('dev', rolledBackAgain, {
      ...waiting(),
      target: deployment('hello-gated', 'registry.local/hello:3'),
    });
    await notifier.idle();
    expect(notifications.sent.map(n => n.payload.title)).toEqual([
      'Release of hello-gated was rolled back',
      'Release of hello-gated was rolled back',
    ]);
    expect(notifications.sent[1].payload.description).toContain(
      'registry.local/hello:3',
    );
    notifier.stop();
  });

  it('says nothing of the next revision recorded while Failed, though the rollback was untold', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const notifications = new FakeNotifications();
    const catalog = new FakeCatalog();
    const loaded = catalog.entities;
    catalog.entities = []; // the catalog is still loading
    const notifier = notifierOver(db, store, notifications, catalog);
    const rolledBack = gatedCanary('Failed');
    rolledBack.status.lastTransitionTime = new Date().toISOString();
    store.put('dev', rolledBack, waiting());
    await notifier.idle();
    catalog.entities = loaded;
    const nextRevision = gatedCanary('Failed');
    nextRevision.status.lastAppliedSpec = 'the-next-release';
    nextRevision.status.lastTransitionTime = new Date().toISOString();
    store.put('dev', nextRevision, waiting());
    await notifier.idle();
    expect(notifications.sent).toEqual([]);
    notifier.stop();
  });

  it('says nothing of an untold rollback once the next release reached the deployment', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const notifications = new FakeNotifications();
    const catalog = new FakeCatalog();
    const loaded = catalog.entities;
    catalog.entities = []; // the catalog is still loading
    const notifier = notifierOver(db, store, notifications, catalog);
    const rolledBack = gatedCanary('Failed');
    rolledBack.status.lastTransitionTime = new Date().toISOString();
    store.put('dev', rolledBack, waiting());
    await notifier.idle();
    catalog.entities = loaded;
    // Same revision and status; only the deployment names the next release's image.
    store.put('dev', rolledBack, {
      ...waiting(),
      target: deployment('hello-gated', 'registry.local/hello:3'),
    });
    await notifier.idle();
    expect(notifications.sent).toEqual([]);
    notifier.stop();
  });

  it('says nothing of a gate the portal does not answer, or a canary no entity selects', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const notifications = new FakeNotifications();
    const catalog = new FakeCatalog();
    const notifier = notifierOver(db, store, notifications, catalog);
    const elsewhere = gatedCanary('Waiting');
    for (const hook of elsewhere.spec.analysis.webhooks)
      hook.url = 'http://loadtester.test/gate/check';
    store.put('dev', elsewhere, waiting());
    await notifier.idle();
    catalog.entities = [];
    store.put('dev', gatedCanary('WaitingPromotion'), waiting());
    await notifier.idle();
    expect(notifications.sent).toEqual([]);
    notifier.stop();
  });

  it('asks the catalog again when no entity selected the canary, as while the catalog loads', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const notifications = new FakeNotifications();
    const catalog = new FakeCatalog();
    const loaded = catalog.entities;
    catalog.entities = [];
    const notifier = notifierOver(db, store, notifications, catalog);
    store.put('dev', gatedCanary('WaitingPromotion'), waiting());
    await notifier.idle();
    expect(notifications.sent).toEqual([]);
    catalog.entities = loaded;
    store.put('dev', gatedCanary('WaitingPromotion'), waiting());
    await notifier.idle();
    expect(notifications.sent).toHaveLength(1);
    expect(catalog.calls).toBe(2);
    notifier.stop();
  });

  it('tries again on the next change when sending failed', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const notifications = new FakeNotifications();
    const notifier = notifierOver(db, store, notifications);
    notifications.failNext = true;
    store.put('dev', gatedCanary('WaitingPromotion'), waiting());
    await notifier.idle();
    expect(notifications.sent).toEqual([]);
    store.put('dev', gatedCanary('WaitingPromotion'), waiting());
    await notifier.idle();
    expect(notifications.sent).toHaveLength(1);
    expect(notifications.sent[0].payload.title).toBe(
      'Release of hello-gated waits for promotion approval',
    );
    notifier.stop();
  });
});
