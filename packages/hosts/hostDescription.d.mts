/** A host's host.json (the contract in README.md beside this file). */
export interface HostDescription {
  name: string;
  backstageRelease: string;
  frontendSystem: 'legacy' | 'new';
  backendSystem: 'legacy' | 'new';
  /** The major version of Node the host runs on. */
  node: string;
  /**
   * Set while the host is known not to work, with the exact error: its journeys are then
   * reported as skipped under that reason instead of run.
   */
  knownBroken?: string;
  /** The host mounts the "Waiting for you" page at /progressive-delivery, with a navigation item. */
  waitingPage?: boolean;
  /**
   * The host runs every journey (journeys.e2e.test.ts), not only the three of hosts.e2e.test.ts:
   * the repository's own app, installed from the tarballs.
   */
  allJourneys?: boolean;
}

export interface Host extends HostDescription {
  /** The host's directory. */
  dir: string;
}

/** The host.json of the host in `dir`; throws naming the file and the field when it is wrong. */
export function readHost(dir: string): Host;

/** Every directory of `hostsDir` (packages/hosts) with a host.json, by name. */
export function listHosts(hostsDir: string): Host[];
