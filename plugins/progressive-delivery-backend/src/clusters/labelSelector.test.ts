import { parseLabelSelector } from './labelSelector';

describe('parseLabelSelector', () => {
  const labels = { 'app.kubernetes.io/part-of': 'shop', tier: 'web' };

  it.each([
    ['app.kubernetes.io/part-of=shop', true],
    ['app.kubernetes.io/part-of==shop', true],
    ['app.kubernetes.io/part-of=cart', false],
    ['tier!=db', true],
    ['tier in (web, api)', true],
    ['tier notin (web)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app.kubernetes.io/part-of=shop,tier in (api)', false],
    ['app.kubernetes.io/part-of=shop, tier in (web,api), !missing', true],
  ])('%s matches: %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it.each(['a=b=c', '=b', 'a in b', 'a b', 'a=(b)'])(
    'rejects %j with a message that shows the expected forms',
    selector => {
      expect(() => parseLabelSelector(selector)).toThrow(/is not valid near/);
    },
  );
});
