import { parseArgs } from './cli';

describe('parseArgs', () => {
  it('parses the simple commands', () => {
    expect(parseArgs(['up'])).toEqual({ command: 'up' });
    expect(parseArgs(['down'])).toEqual({ command: 'down', purge: false });
    expect(parseArgs(['down', '--purge'])).toEqual({
      command: 'down',
      purge: true,
    });
    expect(parseArgs(['status', '--json'])).toEqual({
      command: 'status',
      json: true,
    });
    expect(parseArgs([])).toEqual({ command: 'help' });
    expect(parseArgs(['up', '--help'])).toEqual({ command: 'help' });
  });

  it('parses release with defaults', () => {
    expect(parseArgs(['release', 'hello-contour'])).toEqual({
      command: 'release',
      app: 'hello-contour',
      cluster: 'dev',
      namespace: undefined,
      errorRate: 0,
      latencyMs: 20,
    });
  });

  it('parses release options in both spellings', () => {
    expect(
      parseArgs([
        'release',
        'hello-gated',
        '--cluster',
        'prod',
        '--error-rate=0.2',
        '--latency-ms',
        '800',
      ]),
    ).toMatchObject({
      app: 'hello-gated',
      cluster: 'prod',
      errorRate: 0.2,
      latencyMs: 800,
    });
  });

  it('rejects bad input with a readable message', () => {
    expect(() => parseArgs(['release'])).toThrow(/exactly one app/);
    expect(() => parseArgs(['release', 'a', '--error-rate', '1.5'])).toThrow(
      /--error-rate must be a number within 0..1/,
    );
    expect(() => parseArgs(['release', 'a', '--cluster', 'staging'])).toThrow(
      /unknown cluster "staging"/,
    );
    expect(() => parseArgs(['release', 'a', '--color', 'red'])).toThrow(
      /unknown option --color/,
    );
    expect(() => parseArgs(['release', 'a', '--latency-ms'])).toThrow(
      /needs a value/,
    );
    expect(() => parseArgs(['explode'])).toThrow(/unknown command/);
  });

  it('parses component commands', () => {
    expect(parseArgs(['stop-component', 'prod', 'kube-apiserver'])).toEqual({
      command: 'stop-component',
      cluster: 'prod',
      component: 'kube-apiserver',
    });
    expect(() => parseArgs(['start-component', 'prod', 'kubelet'])).toThrow(
      /unknown component/,
    );
    expect(() => parseArgs(['start-component', 'prod'])).toThrow(
      /<cluster> <component>/,
    );
  });
});
