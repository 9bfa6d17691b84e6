const {
  createRouter,
  defaultAuthProviderFactories,
} = require('@backstage/plugin-auth-backend');
const {
  createProxyAuthProviderFactory,
  createProxyAuthenticator,
} = require('@backstage/plugin-auth-node');

/**
 * Guest sign-in for Backstage 1.20, which has no guest provider in its auth backend (that came
 * with `plugin-auth-backend-module-guest-provider` in 1.24): a proxy provider, built with this
 * release's own `createProxyAuthProviderFactory`, that signs everyone in as the catalog user
 * `auth.providers.guest.userEntityRef` with the ownership the catalog gives that user. The app
 * uses it through `ProxiedSignInPage`, as it would an authenticating proxy.
 */
const guestProvider = createProxyAuthProviderFactory({
  authenticator: createProxyAuthenticator({
    defaultProfileTransform: async () => ({
      profile: { displayName: 'Guest' },
    }),
    initialize({ config }) {
      const allowed =
        process.env.NODE_ENV === 'development' ||
        config.getOptionalBoolean('dangerouslyAllowOutsideDevelopment');
      if (!allowed) {
        throw new Error(
          'The guest provider signs everyone in: set auth.providers.guest.dangerouslyAllowOutsideDevelopment to use it outside NODE_ENV=development',
        );
      }
      return {
        userEntityRef:
          config.getOptionalString('userEntityRef') ?? 'user:development/guest',
      };
    },
    async authenticate(_request, context) {
      return { result: { userEntityRef: context.userEntityRef } };
    },
  }),
  signInResolver: async ({ result }, ctx) =>
    ctx.signInWithCatalogUser({ entityRef: result.userEntityRef }),
});

module.exports = async function createPlugin(env) {
  return createRouter({
    logger: env.logger,
    config: env.config,
    database: env.database,
    discovery: env.discovery,
    tokenManager: env.tokenManager,
    providerFactories: {
      ...defaultAuthProviderFactories,
      guest: guestProvider,
    },
  });
};
