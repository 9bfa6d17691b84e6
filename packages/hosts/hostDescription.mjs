// Reads the hosts' host.json files (the contract in README.md beside this file), for the hosts'
// own host.mjs, `npm test` (packages/devtools/bin/test.mjs) and the end-to-end harness alike.
// (No import.meta here: the harness's jest loads this file compiled to CommonJS.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const systems = ['legacy', 'new'];

/**
 * The host.json of the host in `dir`, with `dir` added; throws naming the file and the field
 * when it does not describe a host.
 */
export function readHost(dir) {
  const file = join(dir, 'host.json');
  let description;
  try {
    description = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not readable JSON: ${error.message}`);
  }
  const problems = [];
  for (const field of ['name', 'backstageRelease', 'node']) {
    if (typeof description[field] !== 'string' || !description[field]) {
      problems.push(`"${field}" must be a non-empty string`);
    }
  }
  for (const field of ['frontendSystem', 'backendSystem']) {
    if (!systems.includes(description[field])) {
      problems.push(`"${field}" must be "legacy" or "new"`);
    }
  }
  if (
    description.knownBroken !== undefined &&
    (typeof description.knownBroken !== 'string' || !description.knownBroken)
  ) {
    problems.push('"knownBroken", when present, must be the error as a string');
  }
  if (
    description.waitingPage !== undefined &&
    typeof description.waitingPage !== 'boolean'
  ) {
    problems.push('"waitingPage", when present, must be true or false');
  }
  if (
    description.allJourneys !== undefined &&
    typeof description.allJourneys !== 'boolean'
  ) {
    problems.push('"allJourneys", when present, must be true or false');
  }
  if (problems.length > 0) {
    throw new Error(`${file}: ${problems.join('; ')}`);
  }
  return { ...description, dir };
}

/** Every directory of `hostsDir` (packages/hosts) with a host.json, by name. */
export function listHosts(hostsDir) {
  if (!existsSync(hostsDir)) return [];
  return readdirSync(hostsDir, { withFileTypes: true })
    .filter(
      entry =>
        entry.isDirectory() &&
        existsSync(join(hostsDir, entry.name, 'host.json')),
    )
    .map(entry => readHost(join(hostsDir, entry.name)))
    .sort((a, b) => a.name.localeCompare(b.name));
}
