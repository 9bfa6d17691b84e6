/*
 * The plugin's actions as an AI agent reaches them: Backstage's real actions registry and
 * actions service (backend-defaults) and the MCP actions backend's endpoint, in one test backend.
 */
import {
  actionsRegistryServiceFactory,
  actionsServiceFactory,
} from '@backstage/backend-defaults/alpha';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import request from 'supertest';
import {
  progressiveDeliveryActionsModule,
  progressiveDeliveryPlugin,
} from './plugin';
import { helloGatedEntity as entity } from './__testUtils__/harness';

describe('the actions through the MCP actions backend', () => {
  it('lists the tools and answers list-releases for a signed-in user', async () => {
    const backend = await startTestBackend({
      features: [
        progressiveDeliveryPlugin,
        progressiveDeliveryActionsModule,
        mcpActionsPlugin,
        actionsRegistryServiceFactory,
        actionsServiceFactory,
        catalogServiceMock.factory({ entities: [entity] }),
        mockServices.rootConfig.factory({
          data: {
            backend: {
              actions: { pluginSources: ['progressive-delivery'] },
            },
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    {
                      name: 'dev',
                      url: 'https://127.0.0.1:9',
                      authProvider: 'serviceAccount',
                      serviceAccountToken: 't',
                      skipTLSVerify: true,
                    },
                  ],
                },
              ],
            },
            progressiveDelivery: {
              webhooks: {
                baseUrl:
                  'http://127.0.0.1:7007/api/progressive-delivery/webhooks',
              },
            },
          },
        }),
      ],
    });
    try {
      const rpc = (method: string, params: object, id: number) =>
        request(backend.server)
          .post('/api/mcp-actions/v1')
          .set('authorization', mockCredentials.user.header())
          .set('accept', 'application/json, text/event-stream')
          .set('content-type', 'application/json')
          .send({ jsonrpc: '2.0', id, method, params });
      const parse = (response: request.Response) => {
        const text = response.text;
        const data = text.includes('data:')
          ? text
              .split('\n')
              .filter(line => line.startsWith('data:'))
              .map(line => line.slice(5))
              .join('')
          : text;
        return JSON.parse(data);
      };
      const tools = await rpc('tools/list', {}, 1);
      expect(tools.status).toBe(200);
      const names = parse(tools).result.tools.map((t: any) => t.name);
      expect(names).toEqual(
        expect.arrayContaining(
          [
            'list-releases',
            'describe-release',
            'list-releases-waiting-for-me',
            'promote-release',
            'rollback-release',
          ].map(name => `progressive-delivery.${name}`),
        ),
      );
      const called = await rpc(
        'tools/call',
        {
          name: 'progressive-delivery.list-releases',
          arguments: { entityRef: 'component:default/hello-gated' },
        },
        2,
      );
      expect(called.status).toBe(200);
      const result = parse(called).result;
      expect(result.isError).toBeFalsy();
      // The cluster is unreachable in this test: no releases, the cluster reported with its state.
      expect(JSON.parse(result.content[0].text)).toEqual({
        releases: [],
        clusters: [expect.objectContaining({ name: 'dev', status: 'error' })],
      });
    } finally {
      await backend.stop();
    }
  });
});
