import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import {
  AuthenticationError,
  NotAllowedError,
  ResponseError,
} from '@backstage/errors';
import {
  AuthorizePermissionRequest,
  AuthorizePermissionResponse,
} from '@backstage/plugin-permission-common';
import express from 'express';
import { Knex } from 'knex';
import { buildRouter } from '../router';
import { ClusterSide } from '../types';
import { createServices } from '../createServices';
import { EntityLookup } from '../service/EntityCanaries';
import { EntityQuery } from '../service/WaitingReleases';

/**
 * What the legacy backend system (`@backstage/backend-common`, Tanzu Developer Portal's
 * `PluginEnvironment`) hands a plugin. Only the members the plugin calls are listed, so the
 * environment's own objects fit as they are.
 *
 * @public
 */
export interface LegacyRouterOptions {
  /** The plugin's logger. */
  logger: LoggerService;
  /** The root config: `kubernetes.clusterLocatorMethods` and `progressiveDelivery`. */
  config: Config;
  /** `PluginDatabaseManager`: the plugin's own database. */
  database: { getClient(): Promise<Knex> };
  /** Finds the catalog when no `catalogApi` is given. */
  discovery: { getBaseUrl(pluginId: string): Promise<string> };
  /** The legacy permission client (`ServerPermissionClient`), called with the user's token. */
  permissions: {
    authorize(
      requests: AuthorizePermissionRequest[],
      options?: { token?: string },
    ): Promise<AuthorizePermissionResponse[]>;
  };
  /** The legacy `IdentityApi` (`DefaultIdentityClient`): who sent a request. */
  identity: {
    getIdentity(options: { request: express.Request<any> }): Promise<
      | {
          token: string;
          identity: { userEntityRef: string; ownershipEntityRefs?: string[] };
        }
      | undefined
    >;
  };
  /** The legacy `TokenManager`: lets other backend plugins read (service tokens). */
  tokenManager?: { authenticate(token: string): Promise<void> };
  /** A `CatalogClient`; by default the catalog's REST API is called through `discovery`. */
  catalogApi?: {
    getEntityByRef(
      entityRef: string,
      options?: { token?: string },
    ): Promise<Entity | undefined>;
    /** For the waiting page's one query; without it the catalog's REST API is called. */
    getEntities?(
      request: {
        filter: Array<Record<string, string | symbol | Array<string | symbol>>>;
        fields: string[];
      },
      options?: { token?: string },
    ): Promise<{ items: Entity[] }>;
  };
  /** Writes audit events; by default they go to the logger, as Backstage's own auditor does. */
  auditor?: AuditorService;
  /**
   * Where the plugin registers the closing of its cluster watches and timers when the backend
   * shuts down (a legacy `PluginEnvironment` lifecycle or the root lifecycle service). Without
   * it they run until the process exits.
   */
  lifecycle?: { addShutdownHook(hook: () => void | Promise<void>): void };
}

/**
 * The plugin for the legacy backend system and Tanzu Developer Portal: the same services and
 * routes as the new backend plugin, over the legacy environment. Mount it at
 * `/api/progressive-delivery` and let Flagger reach `/webhooks` without a Backstage token.
 *
 * @public
 */
export async function createRouter(
  options: LegacyRouterOptions,
): Promise<express.Router> {
  return createLegacyRouter(options);
}

/**
 * {@link createRouter}, with the cluster side replaceable for tests.
 *
 * @public
 */
export async function createLegacyRouter(
  options: LegacyRouterOptions & { clusterSide?: ClusterSide },
): Promise<express.Router> {
  const tokens = new WeakMap<BackstageCredentials, string>();
  // The legacy identity carries the user's ownership (user and groups) with the token.
  const ownership = new WeakMap<BackstageCredentials, string[]>();
  const userInfo = legacyUserInfo(ownership);
  const services = await createServices({
    config: options.config,
    logger: options.logger,
    database: await options.database.getClient(),
    catalog: legacyCatalog(options, tokens),
    permissions: legacyPermissions(options, tokens),
    auditor: options.auditor ?? loggerAuditor(options.logger),
    userInfo,
    clusterSide: options.clusterSide,
  });
  await services.start();
  options.lifecycle?.addShutdownHook(() => services.stop());
  return buildRouter({
    services,
    httpAuth: legacyHttpAuth(options, tokens, ownership),
    userInfo,
  });
}

function bearerToken(req: express.Request): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function legacyHttpAuth(
  options: LegacyRouterOptions,
  tokens: WeakMap<BackstageCredentials, string>,
  ownership: WeakMap<BackstageCredentials, string[]>,
): Pick<HttpAuthService, 'credentials'> {
  async function credentials(
    req: express.Request,
    restrictions?: { allow?: string[] },
  ) {
    const allow = restrictions?.allow;
    const identity = await options.identity
      .getIdentity({ request: req })
      .catch(() => undefined);
    let result: BackstageCredentials;
    if (identity) {
      result = {
        $$type: '@backstage/BackstageCredentials',
        principal: {
          type: 'user',
          userEntityRef: identity.identity.userEntityRef,
        },
      };
      tokens.set(result, identity.token);
      ownership.set(result, identity.identity.ownershipEntityRefs ?? []);
    } else {
      const token = bearerToken(req);
      const isService =
        token && options.tokenManager
          ? await options.tokenManager.authenticate(token).then(
              () => true,
              () => false,
            )
          : false;
      if (isService) {
        result = {
          $$type: '@backstage/BackstageCredentials',
          principal: { type: 'service', subject: 'external:backstage-plugin' },
        };
        tokens.set(result, token!);
      } else {
        if (!allow?.includes('none'))
          throw new AuthenticationError('A Backstage token is required');
        result = {
          $$type: '@backstage/BackstageCredentials',
          principal: { type: 'none' },
        };
      }
    }
    const type = (result.principal as { type: string }).type;
    if (allow && !allow.includes(type)) {
      throw new NotAllowedError(
        `This request requires a ${allow.join(' or ')} identity, not ${type}`,
      );
    }
    return result;
  }
  return { credentials: credentials as HttpAuthService['credentials'] };
}

function legacyUserInfo(
  ownership: WeakMap<BackstageCredentials, string[]>,
): Pick<UserInfoService, 'getUserInfo'> {
  return {
    async getUserInfo(credentials) {
      const principal = credentials.principal as {
        type: string;
        userEntityRef?: string;
      };
      if (principal.type !== 'user' || !principal.userEntityRef) {
        throw new NotAllowedError('Only users can take actions');
      }
      return {
        userEntityRef: principal.userEntityRef,
        ownershipEntityRefs: ownership.get(credentials) ?? [],
      };
    },
  };
}

function legacyPermissions(
  options: LegacyRouterOptions,
  tokens: WeakMap<BackstageCredentials, string>,
): Pick<PermissionsService, 'authorize'> {
  return {
    authorize: (requests, { credentials }) =>
      options.permissions.authorize(requests, {
        token: tokens.get(credentials),
      }),
  };
}

function legacyCatalog(
  options: LegacyRouterOptions,
  tokens: WeakMap<BackstageCredentials, string>,
): EntityLookup & EntityQuery {
  return {
    async getEntities(request, { credentials }) {
      const token = tokens.get(credentials);
      if (options.catalogApi?.getEntities)
        return options.catalogApi.getEntities(request, { token });
      // The catalog's query syntax: one `filter` per alternative, `key=value` pairs joined by
      // commas, a bare key for "exists".
      const params = new URLSearchParams();
      for (const alternative of request.filter) {
        params.append(
          'filter',
          Object.entries(alternative)
            .flatMap(([key, value]) =>
              [value]
                .flat()
                .map(v => (typeof v === 'symbol' ? key : `${key}=${v}`)),
            )
            .join(','),
        );
      }
      params.append('fields', request.fields.join(','));
      const base = await options.discovery.getBaseUrl('catalog');
      const response = await fetch(`${base}/entities?${params}`, {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
      if (!response.ok) throw await ResponseError.fromResponse(response as any);
      return { items: (await response.json()) as Entity[] };
    },
    async getEntityByRef(entityRef, { credentials }) {
      const token = tokens.get(credentials);
      if (options.catalogApi)
        return options.catalogApi.getEntityByRef(entityRef, { token });
      const [kind, rest] = entityRef.split(':', 2);
      const [namespace, name] = rest.split('/', 2);
      const base = await options.discovery.getBaseUrl('catalog');
      const response = await fetch(
        `${base}/entities/by-name/${[kind, namespace, name]
          .map(encodeURIComponent)
          .join('/')}`,
        { headers: token ? { Authorization: `Bearer ${token}` } : {} },
      );
      if (response.status === 404) return undefined;
      if (!response.ok) throw await ResponseError.fromResponse(response as any);
      return (await response.json()) as Entity;
    },
  };
}

/** Audit events as log lines, shaped like Backstage's own auditor's. */
function loggerAuditor(logger: LoggerService): AuditorService {
  return {
    async createEvent(event: AuditorServiceCreateEventOptions) {
      const base = {
        isAuditEvent: true,
        eventId: event.eventId,
        severityLevel: event.severityLevel ?? 'low',
        meta: JSON.stringify(event.meta ?? {}),
        ip: event.request?.ip,
      };
      logger.info(`progressive-delivery.${event.eventId}`, {
        ...base,
        status: 'initiated',
      });
      return {
        async success(result) {
          logger.info(`progressive-delivery.${event.eventId}`, {
            ...base,
            status: 'succeeded',
            meta: JSON.stringify({ ...event.meta, ...result?.meta }),
          });
        },
        async fail(result) {
          logger.info(`progressive-delivery.${event.eventId}`, {
            ...base,
            status: 'failed',
            error: String(result.error),
            meta: JSON.stringify({ ...event.meta, ...result.meta }),
          });
        },
      };
    },
  };
}
