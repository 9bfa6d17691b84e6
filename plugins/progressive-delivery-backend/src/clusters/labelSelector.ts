import { InputError } from '@backstage/errors';

type Requirement = (labels: Record<string, string>) => boolean;

/**
 * Parses a Kubernetes label selector ("a=b,c!=d,e in (x,y),f notin (z),g,!h") into a
 * predicate over labels.
 */
export function parseLabelSelector(selector: string): Requirement {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  const requirements = parts
    .map(part => part.trim())
    .filter(Boolean)
    .map(part => parseRequirement(part, selector));
  return labels => requirements.every(requirement => requirement(labels));
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

function parseRequirement(part: string, selector: string): Requirement {
  const invalid = () =>
    new InputError(
      `Label selector "${selector}" is not valid near "${part}"; expected forms like key=value, key!=value, key in (a,b), key notin (a), key, !key`,
    );
  let match = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
  if (match) {
    const [, key, operator, list] = match;
    if (!KEY.test(key)) throw invalid();
    const values = new Set(list.split(',').map(value => value.trim()).filter(Boolean));
    return operator === 'in'
      ? labels => key in labels && values.has(labels[key])
      : labels => !(key in labels) || !values.has(labels[key]);
  }
  match = /^([^=!\s]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)$/.exec(part);
  if (match) {
    const [, key, operator, value] = match;
    if (!KEY.test(key)) throw invalid();
    return operator === '!='
      ? labels => labels[key] !== value
      : labels => labels[key] === value;
  }
  match = /^(!?)([^=!\s()]+)$/.exec(part);
  if (match && KEY.test(match[2])) {
    const [, negated, key] = match;
    return negated ? labels => !(key in labels) : labels => key in labels;
  }
  throw invalid();
}
