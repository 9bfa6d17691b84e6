import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_CANARIES,
  ANNOTATION_WORKLOAD_NAME,
  CanaryRef,
  canaryKey,
  CanarySelector,
  getCanarySelector,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { CanaryStore } from '../types';

/** The catalog query the plugin makes for the opted-in entities; `CatalogService` fits it. */
export interface EntityLister {
  getEntities(
    request: {
      filter: Array<Record<string, symbol | string | string[]>>;
      fields: string[];
    },
    options: { credentials: BackstageCredentials },
  ): Promise<{ items: Entity[] }>;
}

/** How long the list of opted-in entities is reused before the catalog is asked again. */
export const OPTED_IN_TTL_MS = 60_000;

/**
 * Which catalog entities a canary belongs to: every entity with one of our annotations whose
 * selector matches the canary in the watch caches. The catalog is read with the plugin's own
 * credentials (a notification goes to owners whoever is signed in) once a minute at most.
 */
export class CanaryOwners {
  #optedIn?: {
    at: number;
    entities: Promise<Array<{ ref: string; selector: CanarySelector }>>;
  };

  constructor(
    private readonly options: {
      store: CanaryStore;
      catalog: EntityLister;
      credentials: () => Promise<BackstageCredentials>;
      ttlMs?: number;
      now?: () => number;
    },
  ) {}

  /** Canonical refs of the entities `ref` belongs to, sorted. */
  async entityRefsOf(ref: CanaryRef): Promise<string[]> {
    const key = canaryKey(ref);
    const refs: string[] = [];
    for (const entity of await this.#optedInEntities()) {
      const matches = this.options.store
        .findCanaries(entity.selector)
        .some(watched => canaryKey(watched.ref) === key);
      if (matches) refs.push(entity.ref);
    }
    return refs.sort();
  }

  #optedInEntities() {
    const now = this.options.now?.() ?? Date.now();
    const ttl = this.options.ttlMs ?? OPTED_IN_TTL_MS;
    if (!this.#optedIn || now - this.#optedIn.at > ttl) {
      const entities = this.#load();
      this.#optedIn = { at: now, entities };
      // A failed read is not remembered: the next notice asks again. Nor is an empty one: at
      // start the catalog may not have processed its locations yet.
      const forget = () => {
        if (this.#optedIn?.entities === entities) this.#optedIn = undefined;
      };
      entities.then(list => list.length === 0 && forget(), forget);
    }
    return this.#optedIn.entities;
  }

  async #load() {
    const { items } = await this.options.catalog.getEntities(
      {
        filter: [
          {
            [`metadata.annotations.${ANNOTATION_WORKLOAD_NAME}`]:
              CATALOG_FILTER_EXISTS,
          },
          {
            [`metadata.annotations.${ANNOTATION_CANARIES}`]:
              CATALOG_FILTER_EXISTS,
          },
        ],
        fields: ['kind', 'metadata', 'spec.owner'],
      },
      { credentials: await this.options.credentials() },
    );
    return items.flatMap(entity => {
      try {
        const selector = getCanarySelector(entity);
        return selector ? [{ ref: stringifyEntityRef(entity), selector }] : [];
      } catch {
        // A malformed annotation shows its error on the entity's tab; here it selects nothing.
        return [];
      }
    });
  }
}
