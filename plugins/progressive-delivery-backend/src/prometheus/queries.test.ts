import { escapeLabelValue, renderQuery, templateModel } from './queries';

const canary = {
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: {
    provider: 'contour',
    targetRef: { kind: 'Deployment', name: 'checkout' },
    service: { port: 80 },
  },
};

describe('renderQuery', () => {
  const model = templateModel(canary, '1m', {
    route: 'a"}) or vector(1) #',
    code: '5..',
  });

  it('substitutes every template function and variable, escaping hostile values', () => {
    expect(
      renderQuery(
        'sum(rate(x{route="{{ variables.route }}",ns="{{namespace}}",t="{{ target }}",s="{{ service }}",n="{{ name }}",i="{{ ingress }}",r="{{ route }}"}[{{ interval }}]))',
        model,
      ),
    ).toBe(
      'sum(rate(x{route="a\\"}) or vector(1) #",ns="shop",t="checkout",s="checkout",n="checkout",i="checkout",r="checkout"}[1m]))',
    );
    expect(escapeLabelValue('back\\slash\n')).toBe('back\\\\slash\\n');
  });

  it('names what it cannot render', () => {
    expect(() => renderQuery('{{ variables.nope }}', model)).toThrow(
      'template variable "nope" is not set',
    );
    expect(() => renderQuery('{{ cluster }}', model)).toThrow(
      'unknown template function "cluster"',
    );
    expect(() => renderQuery('{{ if eq 1 1 }}x', model)).toThrow(
      /Go template syntax/,
    );
  });
});
