/*
 * The benchmark's floor: a backend plugin in the same process as ours whose one route does
 * only what every request for an entity's canaries must do, whoever serves it, and answers a
 * constant. Our summary's throughput and tail under load are judged against it.
 */
import {
  BackstageCredentials,
  CacheService,
  coreServices,
  createBackendPlugin,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  CanarySelector,
  getCanarySelector,
  progressiveDeliveryReadPermission,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import express from 'express';
import Router from 'express-promise-router';

/**
 * How long the read permission and the selector are remembered: the same as our plugin's
 * `SELECTOR_TTL_MS` (service/EntityCanaries.ts), which its package does not export.
 */
export const FLOOR_SELECTOR_TTL_MS = 5_000;

export interface FloorDeps {
  httpAuth: Pick<HttpAuthService, 'credentials'>;
  permissions: Pick<PermissionsService, 'authorize'>;
  cache: Pick<CacheService, 'get' | 'set'>;
  catalog: {
    getEntityByRef(
      entityRef: string,
      options: { credentials: BackstageCredentials },
    ): Promise<Entity | undefined>;
  };
}

/** Who the cache remembers an answer for (as ours keys it). */
function principalOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as any;
  return (
    principal?.userEntityRef ?? principal?.subject ?? principal?.type ?? 'none'
  );
}

/**
 * The selector of an entity for a caller who may read its releases: permission and catalog
 * asked together, both with the caller's credentials, the answer remembered per caller and
 * entity, and callers arriving while it is looked up sharing that one lookup (as ours do).
 */
export function floorSelector(deps: Omit<FloorDeps, 'httpAuth'>) {
  const lookups = new Map<string, Promise<CanarySelector>>();

  const lookUp = async (
    ref: string,
    credentials: BackstageCredentials,
    key: string,
  ): Promise<CanarySelector> => {
    const [[decision], entity] = await Promise.all([
      deps.permissions.authorize(
        [{ permission: progressiveDeliveryReadPermission, resourceRef: ref }],
        { credentials },
      ),
      deps.catalog.getEntityByRef(ref, { credentials }),
    ]);
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not see the releases of ${ref} (${progressiveDeliveryReadPermission.name}).`,
      );
    }
    if (!entity) throw new NotFoundError(`No entity ${ref} in the catalog.`);
    let selector: CanarySelector | undefined;
    try {
      selector = getCanarySelector(entity);
    } catch (error) {
      throw new InputError((error as Error).message);
    }
    if (!selector) throw new InputError(`${ref} has not opted in.`);
    await deps.cache.set(key, selector as any, { ttl: FLOOR_SELECTOR_TTL_MS });
    return selector;
  };

  return async (
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<CanarySelector> => {
    let ref: string;
    try {
      ref = stringifyEntityRef(
        parseEntityRef(entityRef, { defaultNamespace: 'default' }),
      );
    } catch {
      throw new InputError(`"${entityRef}" is not an entity reference.`);
    }
    const key = `floor:${principalOf(credentials)}:${ref}`;
    const cached = (await deps.cache.get(key)) as CanarySelector | undefined;
    if (cached) return cached;
    let lookup = lookups.get(key);
    if (!lookup) {
      lookup = lookUp(ref, credentials, key).finally(() => lookups.delete(key));
      lookups.set(key, lookup);
    }
    return lookup;
  };
}

/** `GET /canaries?entityRef=`: `{ items: [], selector }`, or 400/401/403/404 as ours answers. */
export function floorRouter(deps: FloorDeps): express.Router {
  const selectorFor = floorSelector(deps);
  const router = Router();
  router.get('/canaries', async (req, res) => {
    const entityRef = req.query.entityRef;
    if (typeof entityRef !== 'string' || !entityRef) {
      throw new InputError('Invalid query: entityRef is required');
    }
    const credentials = await deps.httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    res.json({
      items: [],
      selector: await selectorFor(entityRef, credentials),
    });
  });
  return router;
}

/** Mounted at /api/bench-floor, beside our plugin, by benchBackend.ts. */
export const benchFloorPlugin = createBackendPlugin({
  pluginId: 'bench-floor',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        cache: coreServices.cache,
        catalog: catalogServiceRef,
      },
      async init({ httpRouter, ...deps }) {
        httpRouter.use(floorRouter(deps));
      },
    });
  },
});
