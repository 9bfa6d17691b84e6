import { KubeConfig } from '@kubernetes/client-node';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import {
  asRequestError,
  KubeConfigTransport,
  KubeRequestError,
} from './KubeTransport';

describe('KubeConfigTransport', () => {
  let server: http.Server;
  let transport: KubeConfigTransport;
  const seen: Array<{ url?: string; authorization?: string }> = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      seen.push({
        url: request.url,
        authorization: request.headers.authorization,
      });
      if (
        request.url?.startsWith(
          '/apis/flagger.app/v1beta1/namespaces/shop/canaries/checkout',
        )
      ) {
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({ kind: 'Canary', metadata: { name: 'checkout' } }),
        );
      } else if (request.url?.startsWith('/slow')) {
        // never answers
      } else {
        response.statusCode = 404;
        response.end(
          JSON.stringify({
            kind: 'Status',
            reason: 'NotFound',
            message: 'canaries "gone" not found',
          }),
        );
      }
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      // client-node allows plain HTTP only with skipTLSVerify.
      clusters: [
        {
          name: 'dev',
          server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          skipTLSVerify: true,
        },
      ],
      users: [{ name: 'pd', token: 'secret-token' }],
      contexts: [{ name: 'dev', cluster: 'dev', user: 'pd' }],
      currentContext: 'dev',
    });
    transport = new KubeConfigTransport(kc);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  it('GETs with the bearer token and query parameters', async () => {
    const body = await transport.get(
      '/apis/flagger.app/v1beta1/namespaces/shop/canaries/checkout',
      {
        resourceVersion: '0',
        skipped: undefined,
      },
    );
    expect(body).toEqual({ kind: 'Canary', metadata: { name: 'checkout' } });
    expect(seen[seen.length - 1]).toEqual({
      url: '/apis/flagger.app/v1beta1/namespaces/shop/canaries/checkout?resourceVersion=0',
      authorization: 'Bearer secret-token',
    });
  });

  it('rejects with the status code, reason and message of the API server', async () => {
    await expect(
      transport.get('/apis/flagger.app/v1beta1/namespaces/shop/canaries/gone'),
    ).rejects.toMatchObject({
      statusCode: 404,
      reason: 'NotFound',
      message: 'HTTP 404: canaries "gone" not found',
    });
  });

  it('gives up after the timeout', async () => {
    await expect(
      transport.get('/slow', {}, { timeoutMs: 100 }),
    ).rejects.toThrow(/no answer from .* within 100 ms/);
  });
});

describe('asRequestError', () => {
  it('says what to configure when the API server certificate is not trusted', () => {
    const error = asRequestError(
      Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
    );
    expect(error).toBeInstanceOf(KubeRequestError);
    expect(error.message).toBe(
      "SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain (the API server's certificate is not trusted: set caData or caFile for this cluster in kubernetes.clusterLocatorMethods)",
    );
  });

  it('names the address of a refused connection', () => {
    expect(
      asRequestError(
        Object.assign(new Error('connect ECONNREFUSED'), {
          code: 'ECONNREFUSED',
          address: '127.0.0.1',
          port: 16443,
        }),
      ).message,
    ).toBe('connection refused (127.0.0.1:16443)');
  });
});
