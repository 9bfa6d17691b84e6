import { InputError } from '@backstage/errors';
import { parseLabelSelector } from './labelSelector';

describe('parseLabelSelector', () => {
  const labels = {
    'app.kubernetes.io/part-of': 'shop',
    tier: 'web',
    empty: '',
  };

  it.each([
    ['app.kubernetes.io/part-of=shop', true],
    ['app.kubernetes.io/part-of==shop', true],
    ['app.kubernetes.io/part-of=cart', false],
    ['tier!=db', true],
    ['tier!=web', false],
    ['missing!=x', true],
    ['tier in (web, api)', true],
    ['tier in (api)', false],
    ['missing in (web)', false],
    ['tier notin (web)', false],
    ['tier notin (db)', true],
    ['missing notin (web)', true],
    ['tier', true],
    ['missing', false],
    ['!tier', false],
    ['!missing', true],
    ['empty=', true],
    ['app.kubernetes.io/part-of=shop,tier in (api)', false],
    ['app.kubernetes.io/part-of=shop, tier in (web,api), !missing', true],
    ['', true],
  ])('%j matches: %s', (selector, expected) => {
    expect(parseLabelSelector(selector).matches(labels)).toBe(expected);
  });

  it('keeps the parsed requirements for index lookups', () => {
    expect(
      parseLabelSelector('a=b, c notin (d,e), f, !g').requirements,
    ).toEqual([
      { key: 'a', operator: 'in', values: ['b'] },
      { key: 'c', operator: 'notin', values: ['d', 'e'] },
      { key: 'f', operator: 'exists' },
      { key: 'g', operator: 'doesnotexist' },
    ]);
  });

  it.each([
    ['a=b=c', /"b=c" is not a valid label value/],
    ['=b', /unknown form/],
    ['a in b', /"a in b" is not a valid label key|unknown form/],
    ['a b', /unknown form/],
    ['a=(b)', /unbalanced|not a valid label value/],
    ['a in (b', /unbalanced parentheses/],
    ['empty in ()', /needs at least one value/],
    ['a=b,,c=d', /empty requirement/],
    ['-a=b', /"-a" is not a valid label key/],
    ['Example.COM/a=b', /"Example.COM\/a" is not a valid label key/],
    [`a=${'x'.repeat(64)}`, /is not a valid label value/],
  ])(
    'rejects %j with a message that names the problem and shows the expected forms',
    (selector, why) => {
      expect(() => parseLabelSelector(selector)).toThrow(InputError);
      expect(() => parseLabelSelector(selector)).toThrow(why);
      expect(() => parseLabelSelector(selector)).toThrow(
        /expected comma-separated requirements/,
      );
    },
  );
});
