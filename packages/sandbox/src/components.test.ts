import { clusterPorts, sandboxPaths } from './config';
import {
  commandFor,
  componentContext,
  healthUrl,
  heyWrapper,
  prometheusConfig,
} from './components';
import { COMPONENTS } from './config';

describe('components', () => {
  const paths = sandboxPaths('/repo');
  const ctx = componentContext('prod', paths);

  it('uses the fixed default ports and lets the environment override them', () => {
    expect(clusterPorts('dev', {})).toEqual({
      apiServer: 16443,
      controllerManager: 16257,
      etcdClient: 12379,
      etcdPeer: 12380,
      prometheus: 19090,
      flagger: 18080,
      exporter: 19101,
      loadtester: 18090,
      network: 19102,
    });
    expect(
      clusterPorts('prod', { PD_SANDBOX_PROD_APISERVER_PORT: '36443' })
        .apiServer,
    ).toBe(36443);
    expect(() =>
      clusterPorts('dev', { PD_SANDBOX_DEV_ETCD_PORT: 'x' }),
    ).toThrow(/invalid port/);
  });

  it('binds every listener to 127.0.0.1', () => {
    const all = COMPONENTS.map(c =>
      commandFor(c, ctx, '/t.cjs').args.join(' '),
    ).join(' ');
    const urls = all.match(/(https?:\/\/)?[\w.]+:\d{2,5}/g) ?? [];
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls) expect(u).toMatch(/^(https?:\/\/)?127\.0\.0\.1:\d+$/);
    expect(commandFor('kube-apiserver', ctx, '').args).toContain(
      '--bind-address=127.0.0.1',
    );
  });

  it('runs Flagger out of cluster against the cluster Prometheus', () => {
    const { command, args } = commandFor('flagger', ctx, '');
    expect(command).toMatch(/flagger-v1\.44\.0-loopback$/);
    expect(args).toEqual(
      expect.arrayContaining([
        '-kubeconfig=/repo/.sandbox/prod/kubeconfig',
        '-mesh-provider=kubernetes',
        '-metrics-server=http://127.0.0.1:29090',
        '-port=127.0.0.1:28080',
        '-cluster-name=prod',
        '-enable-leader-election=false',
      ]),
    );
  });

  it('runs the controller manager of the same Kubernetes version with its own identity', () => {
    const { command, args } = commandFor('kube-controller-manager', ctx, '');
    expect(command).toMatch(/kube-controller-manager-v1\.36\.3$/);
    expect(args).toEqual(
      expect.arrayContaining([
        '--kubeconfig=/repo/.sandbox/prod/controller-manager.kubeconfig',
        '--bind-address=127.0.0.1',
        '--secure-port=26257',
        '--leader-elect=false',
        '--use-service-account-credentials=true',
        '--service-account-private-key-file=/repo/.sandbox/prod/pki/sa.key',
        '--root-ca-file=/repo/.sandbox/prod/pki/ca.crt',
        '--controllers=*',
      ]),
    );
    expect(
      clusterPorts('dev', { PD_SANDBOX_DEV_CONTROLLER_MANAGER_PORT: '10257' })
        .controllerManager,
    ).toBe(10257);
  });

  it('runs the loadtester on loopback, with hey going through the cluster network', () => {
    const { command, args } = commandFor('loadtester', ctx, '');
    expect(command).toMatch(/flagger-loadtester-v1\.44\.0-loopback$/);
    expect(args).toContain('-port=127.0.0.1:28090');
    expect(heyWrapper('/bin/hey', clusterPorts('prod', {}))).toContain(
      'exec /bin/hey -x http://127.0.0.1:29102 "$@"',
    );
  });

  it('configures kube-apiserver with RBAC and service-account keys', () => {
    const args = commandFor('kube-apiserver', ctx, '').args;
    expect(args).toEqual(
      expect.arrayContaining([
        '--etcd-servers=http://127.0.0.1:22379',
        '--secure-port=26443',
        '--authorization-mode=RBAC',
        '--client-ca-file=/repo/.sandbox/prod/pki/ca.crt',
        '--service-account-signing-key-file=/repo/.sandbox/prod/pki/sa.key',
      ]),
    );
  });

  it('scrapes the traffic exporter and Flagger every 2s', () => {
    const config = prometheusConfig('dev', clusterPorts('dev', {}));
    expect(config).toContain('scrape_interval: 2s');
    expect(config).toContain("'127.0.0.1:19101'");
    expect(config).toContain("'127.0.0.1:18080'");
  });

  it('knows each health endpoint', () => {
    expect(healthUrl('kube-apiserver', ctx)).toBe(
      'https://127.0.0.1:26443/readyz',
    );
    expect(healthUrl('prometheus', ctx)).toBe('http://127.0.0.1:29090/-/ready');
    expect(healthUrl('simulator', ctx)).toBe('http://127.0.0.1:29101/healthz');
    expect(healthUrl('kube-controller-manager', ctx)).toBe(
      'https://127.0.0.1:26257/healthz',
    );
    expect(healthUrl('loadtester', ctx)).toBe('http://127.0.0.1:28090/healthz');
  });
});
