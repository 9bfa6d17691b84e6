import { KubeConfig } from '@kubernetes/client-node';
import { renderKubeconfig } from './kubeconfig';

describe('renderKubeconfig', () => {
  it('renders a client-certificate kubeconfig that client-node loads', () => {
    const kc = new KubeConfig();
    kc.loadFromString(
      renderKubeconfig({
        cluster: 'dev',
        server: 'https://127.0.0.1:16443',
        caPem: 'CA',
        user: 'sandbox-admin',
        clientCertPem: 'CERT',
        clientKeyPem: 'KEY',
      }),
    );
    expect(kc.getCurrentContext()).toBe('sandbox-admin@sandbox-dev');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:16443');
    expect(
      Buffer.from(kc.getCurrentCluster()!.caData!, 'base64').toString(),
    ).toBe('CA');
    expect(
      Buffer.from(kc.getCurrentUser()!.certData!, 'base64').toString(),
    ).toBe('CERT');
    expect(
      Buffer.from(kc.getCurrentUser()!.keyData!, 'base64').toString(),
    ).toBe('KEY');
  });

  it('renders a token kubeconfig', () => {
    const kc = new KubeConfig();
    kc.loadFromString(
      renderKubeconfig({
        cluster: 'prod',
        server: 'https://127.0.0.1:26443',
        caPem: 'CA',
        user: 'progressive-delivery',
        token: 'abc',
      }),
    );
    expect(kc.getCurrentUser()?.token).toBe('abc');
  });

  it('refuses a user without credentials', () => {
    expect(() =>
      renderKubeconfig({
        cluster: 'dev',
        server: 'https://x',
        caPem: 'CA',
        user: 'nobody',
      }),
    ).toThrow(/needs a client certificate/);
  });
});
