import { InputError } from '@backstage/errors';

/** One requirement of a Kubernetes label selector. */
export type LabelRequirement =
  | { key: string; operator: 'in'; values: string[] }
  | { key: string; operator: 'notin'; values: string[] }
  | { key: string; operator: 'exists' }
  | { key: string; operator: 'doesnotexist' };

export interface LabelSelector {
  requirements: LabelRequirement[];
  matches(labels: Record<string, string> | undefined): boolean;
}

// Label keys: an optional DNS-subdomain prefix and a name of at most 63 characters.
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function isValidKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  if (slash === -1) return NAME.test(key);
  const prefix = key.slice(0, slash);
  return (
    prefix.length <= 253 &&
    PREFIX.test(prefix) &&
    NAME.test(key.slice(slash + 1))
  );
}

const EXPECTED =
  'expected comma-separated requirements such as key=value, key!=value, key in (a,b), key notin (a), key or !key';

/**
 * Parses the Kubernetes label-selector syntax, as written in the
 * `backstage.io/kubernetes-label-selector` annotation. `a=b` and `a==b` become `in`, `a!=b`
 * becomes `notin` (which, as in Kubernetes, also matches objects without the label).
 *
 * @throws InputError that quotes the selector and the part it could not read
 */
export function parseLabelSelector(selector: string): LabelSelector {
  const requirements = splitRequirements(selector).map(part =>
    parseRequirement(part, selector),
  );
  return {
    requirements,
    matches: labels =>
      requirements.every(requirement =>
        matchesRequirement(requirement, labels ?? {}),
      ),
  };
}

function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (depth < 0 || depth > 1) {
      throw new InputError(
        `Label selector "${selector}" has unbalanced parentheses; ${EXPECTED}`,
      );
    }
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (depth !== 0) {
    throw new InputError(
      `Label selector "${selector}" has unbalanced parentheses; ${EXPECTED}`,
    );
  }
  parts.push(current);
  const trimmed = parts.map(part => part.trim());
  if (trimmed.length > 1 && trimmed.some(part => part === '')) {
    throw new InputError(
      `Label selector "${selector}" has an empty requirement; ${EXPECTED}`,
    );
  }
  return trimmed.filter(Boolean);
}

function parseRequirement(part: string, selector: string): LabelRequirement {
  const invalid = (why: string) =>
    new InputError(
      `Label selector "${selector}" is not valid near "${part}": ${why}; ${EXPECTED}`,
    );
  const checkKey = (key: string) => {
    if (!isValidKey(key)) throw invalid(`"${key}" is not a valid label key`);
    return key;
  };
  const checkValue = (value: string) => {
    if (!VALUE.test(value))
      throw invalid(`"${value}" is not a valid label value`);
    return value;
  };

  let match = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (match) {
    const [, key, operator, list] = match;
    const values = list.split(',').map(value => checkValue(value.trim()));
    if (list.trim() === '')
      throw invalid(`"${operator}" needs at least one value`);
    return { key: checkKey(key), operator: operator as 'in' | 'notin', values };
  }
  match = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (match) {
    const [, key, operator, value] = match;
    return {
      key: checkKey(key),
      operator: operator === '!=' ? 'notin' : 'in',
      values: [checkValue(value)],
    };
  }
  match = /^(!?)\s*([^=!\s()]+)$/.exec(part);
  if (match) {
    const [, negated, key] = match;
    return {
      key: checkKey(key),
      operator: negated ? 'doesnotexist' : 'exists',
    };
  }
  throw invalid('unknown form');
}

function matchesRequirement(
  requirement: LabelRequirement,
  labels: Record<string, string>,
): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  switch (requirement.operator) {
    case 'in':
      return has && requirement.values.includes(labels[requirement.key]);
    case 'notin':
      return !has || !requirement.values.includes(labels[requirement.key]);
    case 'exists':
      return has;
    case 'doesnotexist':
      return !has;
    default:
      return false;
  }
}
