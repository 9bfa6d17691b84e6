import { OAuth2 } from '@backstage/core-app-api';
import {
  AnyApiFactory,
  BackstageIdentityApi,
  configApiRef,
  createApiFactory,
  createApiRef,
  discoveryApiRef,
  oauthRequestApiRef,
  ProfileInfoApi,
  SessionApi,
} from '@backstage/core-plugin-api';
import {
  ScmIntegrationsApi,
  scmIntegrationsApiRef,
} from '@backstage/integration-react';

/**
 * Backstage 1.20 has no guest provider in the auth backend (its `'guest'` sign-in is
 * client-side and carries no token, so no backend could tell who is calling). This host's
 * backend serves a `guest` provider at /api/auth/guest, and the app signs in through it the
 * way it would through any auth provider of that release (an OAuth2 session: refresh first).
 */
export const guestAuthApiRef = createApiRef<
  BackstageIdentityApi & ProfileInfoApi & SessionApi
>({ id: 'host.auth.guest' });

export const apis: AnyApiFactory[] = [
  createApiFactory({
    api: scmIntegrationsApiRef,
    deps: { configApi: configApiRef },
    factory: ({ configApi }) => ScmIntegrationsApi.fromConfig(configApi),
  }),
  createApiFactory({
    api: guestAuthApiRef,
    deps: {
      discoveryApi: discoveryApiRef,
      oauthRequestApi: oauthRequestApiRef,
      configApi: configApiRef,
    },
    factory: ({ discoveryApi, oauthRequestApi, configApi }) =>
      OAuth2.create({
        discoveryApi,
        oauthRequestApi,
        provider: { id: 'guest', title: 'Guest', icon: () => null },
        environment: configApi.getOptionalString('auth.environment'),
        defaultScopes: [],
      }),
  }),
];
