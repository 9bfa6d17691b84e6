import { PermissionsService } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  CanaryAction,
  FlaggerWebhookPayload,
  GateKind,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import express from 'express';
import { Knex } from 'knex';
import { createServices, ProgressiveDeliveryServices } from '../createServices';
import { EntityLister } from '../service/CanaryOwners';
import { buildRouter } from '../router';
import { EntityCanaries } from '../service/EntityCanaries';
import {
  fakeClusterSide,
  FakeCanaryStore,
  FakeSummarizer,
  gatedCanary,
  WEBHOOK_BASE_URL,
} from '../service/testing/fakes';
import { CanaryStore } from '../types';

/**
 * The one backend test harness: the services over a fake cluster side and a real database,
 * the router in front of them, and the catalog entity the captured `hello-gated` canary
 * belongs to. The router, fuzz, plugin and legacy tests start from here.
 */

type Obj = Record<string, any>;

export const ENTITY_REF = 'component:default/hello-gated';

/** Where {@link gatedClusterSide} keeps the `hello-gated` canary. */
export const HELLO_GATED_REF = {
  cluster: 'dev',
  namespace: 'tap-apps',
  name: 'hello-gated',
};

/** The component whose workload is the sandbox's `hello-gated` canary. */
export const helloGatedEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'hello-gated',
    namespace: 'default',
    annotations: { 'progressive-delivery/workload-name': 'hello-gated' },
  },
  spec: { owner: 'group:default/team-delivery' },
};

/**
 * The entity service over a store, with a catalog that knows {@link helloGatedEntity} and a
 * permission backend that allows everything or nothing.
 */
export function helloGatedEntities(store: CanaryStore, allowed = true) {
  return new EntityCanaries({
    store,
    catalog: { getEntityByRef: async () => helloGatedEntity },
    permissions: {
      authorize: async (requests: unknown[]) =>
        requests.map(() => ({
          result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        })),
    } as Pick<PermissionsService, 'authorize'>,
  });
}

/** A fake cluster side holding `hello-gated` in the dev cluster, waiting for promotion. */
export function gatedClusterSide() {
  const side = fakeClusterSide();
  side.store.put('dev', gatedCanary('WaitingPromotion'));
  return side;
}

export interface TestServices {
  services: ProgressiveDeliveryServices;
  store: FakeCanaryStore;
  summarizer: FakeSummarizer;
  auditor: ReturnType<typeof mockServices.auditor.mock>;
  /** The router over the services, with Backstage's mock auth and error handler. */
  app: express.Express;
}

/** Builds and starts the services; call `services.stop()` when done. */
export async function startTestServices(options: {
  database: Knex;
  /** `progressiveDelivery` settings. */
  settings?: Obj;
  /** Backstage's `permission` settings; default enabled, as production needs. */
  permission?: Obj;
  /** Backstage's `kubernetes` settings, for per-cluster keys (the cluster side stays fake). */
  kubernetes?: Obj;
  /** The catalog; default just {@link helloGatedEntity}. */
  entities?: Entity[];
  /** Which permissions the permission backend allows; asked on every check. Default all. */
  allow?: (permission: string) => boolean;
  heartbeatMs?: number;
  /** The catalog's entity query, for what waits for a caller; none by default. */
  catalogLister?: EntityLister;
}): Promise<TestServices> {
  const side = gatedClusterSide();
  const auditor = mockServices.auditor.mock();
  const services = await createServices({
    config: new ConfigReader({
      progressiveDelivery: {
        ...options.settings,
        webhooks: { baseUrl: WEBHOOK_BASE_URL, ...options.settings?.webhooks },
      },
      permission: options.permission ?? { enabled: true },
      ...(options.kubernetes ? { kubernetes: options.kubernetes } : {}),
    }),
    logger: mockServices.logger.mock(),
    database: options.database,
    catalog: catalogServiceMock({
      entities: options.entities ?? [helloGatedEntity],
    }),
    permissions: mockServices.permissions.mock({
      authorize: async requests =>
        requests.map(r => ({
          result:
            options.allow?.(r.permission.name) ?? true
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        })),
    }),
    auditor,
    userInfo: mockServices.userInfo(),
    clusterSide: side,
    heartbeatMs: options.heartbeatMs,
    catalogLister: options.catalogLister,
  });
  await services.start();
  const app = express()
    .use(
      buildRouter({
        services,
        httpAuth: mockServices.httpAuth(),
        userInfo: mockServices.userInfo(),
      }),
    )
    .use(mockErrorHandler());
  return {
    services,
    store: side.store,
    summarizer: side.summarizer,
    auditor,
    app,
  };
}

/**
 * What a person and Flagger do to `hello-gated`, called on the services without HTTP: the
 * behaviour tests of actions, gates and history use these; the router test keeps the HTTP.
 */
export function steeringCalls({ services, store }: TestServices) {
  return {
    /** Puts the captured canary in the given phase, optionally changed further. */
    setPhase(phase: string, change: (object: Obj) => void = () => {}) {
      const object = gatedCanary(phase);
      change(object);
      return store.put('dev', object);
    },
    /** Flagger calling a gate webhook of the dev cluster about `hello-gated`. */
    gate(kind: GateKind, payload: Partial<FlaggerWebhookPayload> = {}) {
      return services.gates.answerGate('dev', kind, {
        name: HELLO_GATED_REF.name,
        namespace: HELLO_GATED_REF.namespace,
        checksum: 'c1',
        ...payload,
      });
    },
    /** A person acting through the entity; `comment` defaults to "looks good". */
    act(
      action: CanaryAction,
      options: { actor?: string; comment?: string } = {},
    ) {
      const actor = options.actor ?? 'user:default/mock';
      return services.actions.act({
        ref: HELLO_GATED_REF,
        action,
        entityRef: ENTITY_REF,
        comment: 'comment' in options ? options.comment : 'looks good',
        credentials: mockCredentials.user(actor),
        actor,
      });
    },
    /** The canary as the details route shows it. */
    details() {
      return services.queries.details(
        HELLO_GATED_REF,
        ENTITY_REF,
        mockCredentials.user(),
      );
    },
    /** The entity's rollouts as the history route shows them. */
    history() {
      return services.queries.history(ENTITY_REF, mockCredentials.user());
    },
  };
}
