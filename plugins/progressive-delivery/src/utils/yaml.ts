/**
 * Prints JSON data (what the Kubernetes API returns) as YAML for reading. It covers only
 * what JSON can hold — objects, arrays, strings, numbers, booleans and null — and quotes
 * every string YAML would otherwise read as something else.
 */
export function toYaml(value: unknown): string {
  return `${render(value, 0).replace(/^\n/, '')}\n`;
}

const PLAIN_STRING = /^[A-Za-z0-9_./][A-Za-z0-9_./ :@+()-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~|[-+]?(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i;

function scalar(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  const text = String(value);
  if (
    text === '' ||
    !PLAIN_STRING.test(text) ||
    RESERVED.test(text) ||
    text.endsWith(' ') ||
    text.includes(': ') ||
    text.endsWith(':')
  ) {
    return JSON.stringify(text);
  }
  return text;
}

function isCollection(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function render(value: unknown, indent: number): string {
  const pad = '  '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return ' []';
    }
    return value
      .map(item => {
        if (isCollection(item) && !isEmpty(item)) {
          // The first key sits on the dash line: "- name: x".
          const nested = render(item, indent + 1);
          return `\n${pad}-${nested.replace(/^\n\s*/, ' ')}`;
        }
        return `\n${pad}-${render(item, indent + 1)}`;
      })
      .join('');
  }
  if (isCollection(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) {
      return ' {}';
    }
    return entries
      .map(([key, item]) => `\n${pad}${scalar(key)}:${render(item, indent + 1)}`)
      .join('');
  }
  if (typeof value === 'string' && value.includes('\n') && !/^\s/.test(value)) {
    const lines = value.replace(/\n$/, '').split('\n');
    const chomp = value.endsWith('\n') ? '' : '-';
    return ` |${chomp}${lines.map(line => `\n${pad}${line}`).join('')}`;
  }
  return ` ${scalar(value)}`;
}

function isEmpty(value: object): boolean {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}
