import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import express from 'express';
import fc from 'fast-check';
import { Knex } from 'knex';
import request from 'supertest';
import capture from './__fixtures__/sandbox-capture.json';
import { ProgressiveDeliveryServices } from './createServices';
import { ENTITY_REF, startTestServices } from './__testUtils__/harness';

/**
 * Bad input on every route, generated: whatever a client or a forged webhook sends, the
 * answer is a 4xx with a message (never a 5xx), and nothing is written to the database.
 * The portal never writes to a cluster, so the database is the only state to guard.
 */

const TABLES = [
  'pd_decisions',
  'pd_action_attempts',
  'pd_rollouts',
  'pd_flagger_events',
];
const RUNS = { numRuns: 60, seed: 20261123 };

/** Strings a client might send in place of a name: empty, hostile to PromQL, paths, unicode, long. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '.',
    '-x-',
    'UPPER',
    'a"}) or vector(1) #',
    'x\\"y',
    'line\nbreak',
    '%00',
    'a/b',
    '{{ namespace }}',
    'ünïcode',
    'x'.repeat(300),
  ),
);
/** Entity refs that name no opted-in entity, well-formed or not. */
const badEntityRef = fc.oneof(
  hostileString,
  fc
    .tuple(
      fc.constantFrom('component', 'group', 'api', ''),
      hostileString,
      hostileString,
    )
    .map(([kind, namespace, name]) => `${kind}:${namespace}/${name}`),
);
/** Route segments that are not valid Kubernetes or cluster names (or name an unknown cluster). */
const badSegment = hostileString.filter(
  value => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });

describe('router, bad input', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let app: express.Express;
  let knex: Knex;
  let services: ProgressiveDeliveryServices;

  beforeAll(async () => {
    knex = await databases.init('SQLITE_3');
    ({ app, services } = await startTestServices({ database: knex }));
  });
  afterAll(() => services.stop());

  const rowCounts = async () =>
    Object.fromEntries(
      await Promise.all(
        TABLES.map(async table => {
          const [{ count }] = await knex(table).count({ count: '*' });
          return [table, Number(count)];
        }),
      ),
    );

  /** A 4xx with Backstage's error body naming the problem, and no row written. */
  async function expectRejected(response: request.Response) {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    if (response.type === 'application/json') {
      expect(response.body.error.message).toEqual(expect.any(String));
      expect(response.body.error.message.length).toBeGreaterThan(10);
    } else {
      expect(response.text.length).toBeGreaterThan(10);
    }
  }

  const user = () => mockCredentials.user.header('user:default/fuzz');
  /** Any JSON value as the body, also the bare ones supertest would not serialize. */
  const postJson = (path: string, body: unknown) =>
    request(app)
      .post(path)
      .set('authorization', user())
      .set('content-type', 'application/json')
      .send(JSON.stringify(body));
  const seg = (value: string) => encodeURIComponent(value);

  it('rejects entity refs that name no opted-in entity on every read route', async () => {
    const before = await rowCounts();
    await fc.assert(
      fc.asyncProperty(
        badEntityRef,
        fc.constantFrom(
          '/canaries',
          '/history',
          '/stream',
          '/canaries/dev/tap-apps/hello-gated',
          '/canaries/dev/tap-apps/hello-gated/metrics',
        ),
        async (entityRef, path) => {
          const response = await request(app)
            .get(path)
            .query({ entityRef })
            .set('authorization', user());
          await expectRejected(response);
        },
      ),
      RUNS,
    );
    expect(await rowCounts()).toEqual(before);
  });

  it('rejects invalid clusters, namespaces and names, and unknown clusters, in canary routes', async () => {
    const before = await rowCounts();
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(badSegment, fc.constantFrom('dev', 'tap-apps', 'hello-gated')),
        fc.nat({ max: 2 }),
        fc.constantFrom('', '/metrics'),
        async ([bad, good], position, suffix) => {
          const parts = ['dev', 'tap-apps', 'hello-gated'];
          parts[position] = bad === '' ? good.replace(/./g, 'X') : bad;
          const response = await request(app)
            .get(`/canaries/${parts.map(seg).join('/')}${suffix}`)
            .query({ entityRef: ENTITY_REF, minutes: '30' })
            .set('authorization', user());
          await expectRejected(response);
        },
      ),
      RUNS,
    );
    expect(await rowCounts()).toEqual(before);
  });

  it('rejects actions with bad names, bodies, comments or targets, recording nothing', async () => {
    const before = await rowCounts();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // an unknown action
          fc.record({
            path: hostileString
              .filter(
                a =>
                  ![
                    'promote',
                    'rollback',
                    'pause',
                    'resume',
                    'approve-rollout',
                  ].includes(a),
              )
              .map(
                a =>
                  `/canaries/dev/tap-apps/hello-gated/actions/${seg(a) || 'x'}`,
              ),
            body: fc.constant({ entityRef: ENTITY_REF }),
          }),
          // a body that is not { entityRef, comment? }
          fc.record({
            path: fc.constant(
              '/canaries/dev/tap-apps/hello-gated/actions/promote',
            ),
            body: anyJson.filter(
              b =>
                !(
                  typeof b === 'object' &&
                  b !== null &&
                  typeof (b as any).entityRef === 'string' &&
                  (b as any).entityRef.length > 0
                ),
            ),
          }),
          // a comment that is too long or not a string
          fc.record({
            path: fc.constant(
              '/canaries/dev/tap-apps/hello-gated/actions/rollback',
            ),
            body: fc
              .oneof(
                fc.string({ minLength: 501, maxLength: 2000 }),
                fc.integer(),
                fc.array(fc.string()),
              )
              .map(comment => ({ entityRef: ENTITY_REF, comment })),
          }),
          // an entity that does not own the canary, or no entity at all
          fc.record({
            path: fc.constant(
              '/canaries/dev/tap-apps/hello-gated/actions/promote',
            ),
            body: badEntityRef.map(entityRef => ({ entityRef })),
          }),
          // a canary that does not exist or a cluster that is not configured
          fc.record({
            path: fc
              .tuple(
                fc.constantFrom('dev', 'prod', 'elsewhere'),
                fc.constantFrom('tap-apps', 'nowhere'),
                fc.constantFrom('gone', 'hello-contour'),
              )
              .map(
                ([c, n, name]) => `/canaries/${c}/${n}/${name}/actions/promote`,
              ),
            body: fc.constant({ entityRef: ENTITY_REF }),
          }),
        ),
        async ({ path, body }) => {
          const response = await postJson(path, body);
          await expectRejected(response);
        },
      ),
      RUNS,
    );
    expect(await rowCounts()).toEqual(before);
  });

  it('rejects malformed, oversized and non-JSON bodies', async () => {
    const before = await rowCounts();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }).map(text => `{"name":${text}`),
          fc.constant(`{"name":"${'x'.repeat(17_000)}"}`),
          fc.constantFrom('{', '[1,', '{"a":}', 'nul', '\u0000'),
        ),
        fc.constantFrom(
          '/canaries/dev/tap-apps/hello-gated/actions/promote',
          '/webhooks/dev/gates/confirm-promotion',
          '/webhooks/dev/event',
        ),
        async (raw, path) => {
          const response = await request(app)
            .post(path)
            .set('authorization', user())
            .set('content-type', 'application/json')
            .send(raw);
          await expectRejected(response);
        },
      ),
      RUNS,
    );
    expect(await rowCounts()).toEqual(before);
  });

  it('answers forged webhook payloads for canaries that do not exist with 4xx and records nothing', async () => {
    const before = await rowCounts();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'gates/confirm-rollout',
          'gates/confirm-promotion',
          'gates/confirm-traffic-increase',
          'gates/rollback',
          'event',
        ),
        fc.oneof(
          // well-formed, for a canary no cluster has
          fc.record({
            cluster: fc.constantFrom('dev', 'prod'),
            body: fc.record({
              name: fc
                .stringMatching(/^[a-z]([-a-z0-9]{0,20}[a-z0-9])?$/)
                .filter(n => n !== 'hello-gated'),
              namespace: fc.constantFrom('tap-apps', 'default', 'kube-system'),
              phase: fc.constantFrom(
                'Progressing',
                'Succeeded',
                'Failed',
                'Weird',
              ),
              checksum: fc.string({ maxLength: 40 }),
              metadata: fc.dictionary(
                fc.string({ maxLength: 10 }),
                fc.string({ maxLength: 20 }),
              ),
            }),
          }),
          // for a cluster that is not configured, or with names that are not names
          fc.record({
            cluster: fc.oneof(
              fc.constant('elsewhere'),
              badSegment.filter(s => s !== ''),
            ),
            body: fc.record({
              name: fc.constant('hello-gated'),
              namespace: fc.constant('tap-apps'),
            }),
          }),
          fc.record({
            cluster: fc.constant('dev'),
            body: fc.oneof(
              anyJson,
              fc.record({ name: hostileString, namespace: hostileString }),
              fc.record({
                name: fc.constant('hello-gated'),
                namespace: fc.constant('tap-apps'),
                checksum: fc.string({ minLength: 257, maxLength: 400 }),
              }),
            ),
          }),
        ),
        async (route, { cluster, body }) => {
          const response = await postJson(
            `/webhooks/${seg(cluster)}/${route}`,
            body,
          );
          await expectRejected(response);
          // Forged calls learn nothing about the portal beyond "no".
          expect(response.text).not.toMatch(/hello-gated|user:|stack/i);
        },
      ),
      RUNS,
    );
    expect(await rowCounts()).toEqual(before);
  });
});

/**
 * The same promise for canaries that exist: every captured canary of the sandbox is in the
 * watch cache, and generated webhook and action calls about them never get a 5xx, on SQLite
 * and (when a test PostgreSQL is configured) on PostgreSQL, whose varchar(255) columns do not
 * stretch like SQLite's.
 */
const EXISTING_DATABASES: Array<'SQLITE_3' | 'POSTGRES_15'> = process.env
  .BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
  ? ['SQLITE_3', 'POSTGRES_15']
  : ['SQLITE_3'];

describe.each(EXISTING_DATABASES)('router, existing canaries on %s', id => {
  const databases = TestDatabases.create({ ids: [id] });
  let app: express.Express;
  let services: ProgressiveDeliveryServices;
  const captured = (capture as any).canaries as Array<{
    cluster: string;
    object: Record<string, any>;
  }>;

  beforeAll(async () => {
    let store;
    ({ app, services, store } = await startTestServices({
      database: await databases.init(id),
      // The properties call the same canary many times a minute.
      settings: {
        limits: { webhooksPerMinute: 100_000, actionsPerMinute: 100_000 },
      },
    }));
    for (const { cluster, object } of captured) {
      const canary = structuredClone(object);
      // The binding the sandbox's manifests now add, so actions reach the decision tables.
      canary.metadata.labels['backstage.io/kubernetes-id'] =
        canary.spec.targetRef.name;
      store.put(cluster, canary);
    }
  });
  afterAll(() => services.stop());

  const existing = fc.constantFrom(...captured);
  const timestamp = fc.oneof(
    fc.constantFrom(
      '1e20',
      '-1e20',
      'NaN',
      'Infinity',
      '',
      '0',
      '9'.repeat(40),
    ),
    fc.string({ maxLength: 30 }),
    fc.double().map(String),
  );

  it('answers generated webhook calls about existing canaries without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        existing,
        fc.constantFrom(
          'gates/confirm-rollout',
          'gates/confirm-promotion',
          'gates/confirm-traffic-increase',
          'gates/rollback',
          'event',
        ),
        fc.record(
          {
            phase: fc.oneof(
              fc.string({ maxLength: 64 }),
              fc.constant('Waiting'),
            ),
            checksum: fc.string({ minLength: 0, maxLength: 256 }),
            metadata: fc.record(
              {
                timestamp,
                // fast-check keeps strings short unless told: long ones on purpose.
                eventType: fc.oneof(
                  fc.string({ maxLength: 20 }),
                  fc.string({ minLength: 256, maxLength: 2000 }),
                ),
                eventMessage: fc.oneof(
                  fc.string({ maxLength: 20 }),
                  fc.string({ minLength: 2000, maxLength: 3000 }),
                ),
                secret: fc.string({ maxLength: 20 }),
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        async ({ cluster, object }, route, extra) => {
          const response = await request(app)
            .post(`/webhooks/${cluster}/${route}`)
            .send({
              name: object.metadata.name,
              namespace: object.metadata.namespace,
              ...extra,
            });
          expect(response.status).toBeLessThan(500);
        },
      ),
      RUNS,
    );
  });

  it('stores generated event calls about the gated canaries without a 5xx', async () => {
    const gated = captured.filter(c =>
      (c.object.spec.analysis?.webhooks ?? []).some(
        (hook: Record<string, any>) => hook.type === 'event',
      ),
    );
    expect(gated.length).toBeGreaterThan(0);
    const ref = (c: (typeof captured)[number]) => ({
      cluster: c.cluster,
      namespace: c.object.metadata.namespace,
      name: c.object.metadata.name,
    });
    const before = (
      await Promise.all(gated.map(c => services.rollouts.flaggerEvents(ref(c))))
    ).flat().length;
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...gated),
        fc.record({
          checksum: fc.string({ minLength: 200, maxLength: 256 }),
          metadata: fc.record({
            timestamp,
            // fast-check keeps strings short unless told: long ones on purpose.
            eventType: fc.oneof(
              fc.string({ maxLength: 20 }),
              fc.string({ minLength: 256, maxLength: 2000 }),
            ),
            eventMessage: fc.oneof(
              fc.string({ maxLength: 20 }),
              fc.string({ minLength: 2000, maxLength: 3000 }),
            ),
          }),
        }),
        async (canary, extra) => {
          calls++;
          const response = await request(app)
            .post(`/webhooks/${canary.cluster}/event`)
            .send({
              name: canary.object.metadata.name,
              namespace: canary.object.metadata.namespace,
              ...extra,
            });
          expect(response.status).toBe(202);
        },
      ),
      RUNS,
    );
    const after = (
      await Promise.all(
        gated.map(c => services.rollouts.flaggerEvents(ref(c), 10_000)),
      )
    ).flat().length;
    expect(after - before).toBe(calls);
  });

  it('answers generated actions on existing canaries without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        existing,
        fc.constantFrom(
          'promote',
          'rollback',
          'pause',
          'resume',
          'approve-rollout',
        ),
        fc.record(
          {
            entityRef: fc.oneof(fc.constant(ENTITY_REF), badEntityRef),
            comment: fc.string({ maxLength: 600 }),
          },
          { requiredKeys: [] },
        ),
        async ({ cluster, object }, action, body) => {
          const response = await request(app)
            .post(
              `/canaries/${cluster}/${object.metadata.namespace}/${object.metadata.name}/actions/${action}`,
            )
            .set('authorization', mockCredentials.user.header())
            .send(body);
          expect(response.status).toBeLessThan(500);
          const details = await request(app)
            .get(
              `/canaries/${cluster}/${object.metadata.namespace}/${object.metadata.name}`,
            )
            .query({ entityRef: ENTITY_REF });
          expect(details.status).toBeLessThan(500);
        },
      ),
      RUNS,
    );
  });
});
