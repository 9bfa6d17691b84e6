import {
  BackstageCredentials,
  CacheService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  AnnotationError,
  canaryKey,
  CanaryRef,
  CanarySelector,
  getCanarySelector,
  progressiveDeliveryReadPermission,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { CanaryStore, WatchedCanary } from '../types';
import { SteeringEntity } from './SteeringPolicy';

/** What is remembered of an entity: which canaries it selects, and who it is for the binding. */
export interface EntitySelection {
  entityRef: string;
  selector: CanarySelector;
  entity: SteeringEntity;
}

/** The entity as the steering binding sees it: its ref, name and canonical owner. */
export function steeringEntityOf(entity: Entity, ref: string): SteeringEntity {
  const owner = entity.spec?.owner;
  let ownerRef: string | undefined;
  if (typeof owner === 'string' && owner) {
    try {
      ownerRef = stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: entity.metadata.namespace ?? 'default',
        }),
      );
    } catch {
      ownerRef = undefined;
    }
  }
  return { ref, name: entity.metadata.name, owner: ownerRef };
}

/** The one catalog call the plugin makes; `CatalogService` from plugin-catalog-node fits it. */
export interface EntityLookup {
  getEntityByRef(
    entityRef: string,
    options: { credentials: BackstageCredentials },
  ): Promise<Entity | undefined>;
}

/** How long a caller's read permission and an entity's selector are remembered. */
export const SELECTOR_TTL_MS = 5_000;

export function principalKey(credentials: BackstageCredentials): string {
  const principal = credentials.principal as any;
  return (
    principal?.userEntityRef ?? principal?.subject ?? principal?.type ?? 'none'
  );
}

/** Accepts "component:default/x" and "component:x"; gives the canonical form. */
export function normalizeEntityRef(entityRef: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(entityRef, { defaultNamespace: 'default' }),
    );
  } catch {
    throw new InputError(
      `"${entityRef}" is not an entity reference; expected <kind>:<namespace>/<name>, e.g. component:default/checkout.`,
    );
  }
}

/**
 * Which canaries belong to a catalog entity, after checking the caller's permission on that entity.
 * The catalog is read with the caller's own credentials, so catalog permissions apply too.
 */
export class EntityCanaries {
  readonly #lookups = new Map<string, Promise<EntitySelection>>();

  constructor(
    private readonly options: {
      store: CanaryStore;
      catalog: EntityLookup;
      permissions: Pick<PermissionsService, 'authorize'>;
      /**
       * Remembers, per caller and entity, that reading was allowed and which canaries the
       * entity selects, for `selectorTtlMs`: a tab that refetches on every pushed change asks
       * the permission backend and the catalog once, not each time.
       */
      cache?: CacheService;
      selectorTtlMs?: number;
    },
  ) {}

  /** Throws 403 unless the caller holds `permission` on the entity. */
  async authorize(
    entityRef: string,
    permission: ResourcePermission<'catalog-entity'>,
    credentials: BackstageCredentials,
    refusal: string,
  ): Promise<void> {
    const [decision] = await this.options.permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`${refusal} (${permission.name}).`);
    }
  }

  /** The entity's selector; with `checkRead` (the default) only for callers who may read its releases. */
  async selectorFor(
    entityRef: string,
    credentials: BackstageCredentials,
    checkRead = true,
  ): Promise<EntitySelection> {
    const ref = normalizeEntityRef(entityRef);
    const { cache } = this.options;
    const key = `selector:${checkRead ? 'read' : 'any'}:${principalKey(
      credentials,
    )}:${ref}`;
    const cached = cache
      ? ((await cache.get(key)) as EntitySelection | undefined)
      : undefined;
    if (cached) return cached;

    // When the remembered answer expires under load, the callers waiting at that moment share
    // one lookup instead of each asking the permission backend and the catalog.
    let lookup = this.#lookups.get(key);
    if (!lookup) {
      lookup = this.#lookUpSelector(ref, credentials, checkRead, key).finally(
        () => this.#lookups.delete(key),
      );
      this.#lookups.set(key, lookup);
    }
    return lookup;
  }

  async #lookUpSelector(
    ref: string,
    credentials: BackstageCredentials,
    checkRead: boolean,
    key: string,
  ): Promise<EntitySelection> {
    // The permission and the catalog answer independently; asking both at once halves the
    // wait. A refusal still wins: the entity is then never used.
    const [, entity] = await Promise.all([
      checkRead
        ? this.authorize(
            ref,
            progressiveDeliveryReadPermission,
            credentials,
            `You may not see the releases of ${ref}`,
          )
        : undefined,
      this.options.catalog.getEntityByRef(ref, { credentials }),
    ]);
    if (!entity) throw new NotFoundError(`No entity ${ref} in the catalog.`);
    let selector: CanarySelector | undefined;
    try {
      selector = getCanarySelector(entity);
    } catch (error) {
      if (error instanceof AnnotationError) throw new InputError(error.message);
      throw error;
    }
    if (!selector) {
      throw new InputError(
        `${ref} has not opted in: add the annotation progressive-delivery/workload-name or progressive-delivery/canaries.`,
      );
    }
    const selection: EntitySelection = {
      entityRef: ref,
      selector,
      entity: steeringEntityOf(entity, ref),
    };
    await this.options.cache?.set(key, selection as any, {
      ttl: this.options.selectorTtlMs ?? SELECTOR_TTL_MS,
    });
    return selection;
  }

  /** 404 with the configured names when a cluster is not configured. */
  assertCluster(cluster: string) {
    if (!this.options.store.hasCluster(cluster)) {
      throw new NotFoundError(
        `Unknown cluster "${cluster}"; configured: ${
          this.clusterNames().join(', ') || 'none'
        }.`,
      );
    }
  }

  /** The canaries the selector matches, from the watch caches. */
  canariesOf(selector: CanarySelector): WatchedCanary[] {
    return this.options.store.findCanaries(selector);
  }

  /** The keys (`canaryKey`) of the canaries the selector matches now. */
  canaryKeysOf(selector: CanarySelector): Set<string> {
    return new Set(this.canariesOf(selector).map(c => canaryKey(c.ref)));
  }

  clusterNames(): string[] {
    return this.options.store.getClusterStatuses().map(status => status.name);
  }

  /** The canary from the watch cache, if it belongs to the entity. */
  async canaryOf(
    ref: CanaryRef,
    entityRef: string,
    credentials: BackstageCredentials,
    checkRead = true,
  ): Promise<WatchedCanary> {
    return (await this.canaryWithEntity(ref, entityRef, credentials, checkRead))
      .watched;
  }

  /** {@link canaryOf}, with the entity it was selected through. */
  async canaryWithEntity(
    ref: CanaryRef,
    entityRef: string,
    credentials: BackstageCredentials,
    checkRead = true,
  ): Promise<{ watched: WatchedCanary; entity: SteeringEntity }> {
    this.assertCluster(ref.cluster);
    const {
      selector,
      entityRef: normalized,
      entity,
    } = await this.selectorFor(entityRef, credentials, checkRead);
    const watched = this.canariesOf(selector).find(
      c =>
        c.ref.cluster === ref.cluster &&
        c.ref.namespace === ref.namespace &&
        c.ref.name === ref.name,
    );
    if (!watched) {
      throw new NotFoundError(
        `Canary ${ref.namespace}/${ref.name} in cluster ${ref.cluster} does not exist or does not belong to ${normalized}.`,
      );
    }
    return { watched, entity };
  }
}
