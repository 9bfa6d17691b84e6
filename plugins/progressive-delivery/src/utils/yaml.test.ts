import { toYaml } from './yaml';

describe('toYaml', () => {
  it('prints nested objects and lists the way kubectl users read them', () => {
    expect(
      toYaml({
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        metadata: { name: 'hello', labels: { 'app.kubernetes.io/name': 'hello' } },
        spec: {
          analysis: {
            interval: '30s',
            threshold: 5,
            webhooks: [
              { name: 'promotion', type: 'confirm-promotion', url: 'http://backstage:7007/api/x' },
            ],
            metrics: [],
          },
          skipAnalysis: false,
          service: {},
        },
      }),
    ).toBe(
      [
        'apiVersion: flagger.app/v1beta1',
        'kind: Canary',
        'metadata:',
        '  name: hello',
        '  labels:',
        '    app.kubernetes.io/name: hello',
        'spec:',
        '  analysis:',
        '    interval: 30s',
        '    threshold: 5',
        '    webhooks:',
        '      - name: promotion',
        '        type: confirm-promotion',
        '        url: http://backstage:7007/api/x',
        '    metrics: []',
        '  skipAnalysis: false',
        '  service: {}',
        '',
      ].join('\n'),
    );
  });

  it('quotes strings YAML would read as another type or as syntax', () => {
    expect(
      toYaml({ a: 'true', b: '123', c: '', d: 'on', e: 'x: y', f: '- dash', g: '#hash', h: '*', i: null, n: 'n' }),
    ).toBe(
      'a: "true"\nb: "123"\nc: ""\nd: "on"\ne: "x: y"\nf: "- dash"\ng: "#hash"\nh: "*"\ni: null\n"n": "n"\n',
    );
  });

  it('prints multi-line strings as block scalars and nested lists', () => {
    expect(toYaml({ script: 'line one\nline two\n', matrix: [1, [2, 3]] })).toBe(
      'script: |\n  line one\n  line two\nmatrix:\n  - 1\n  - - 2\n    - 3\n',
    );
  });
});
