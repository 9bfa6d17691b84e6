import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports -- packages/hosts is no workspace
import { listHosts, readHost } from '../../../hosts/hostDescription.mjs';
import { listHosts as listRepositoryHosts } from './hosts';

describe('host.json', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'host-description-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function writeHost(name: string, content: unknown) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(
      join(dir, name, 'host.json'),
      typeof content === 'string' ? content : JSON.stringify(content),
    );
  }

  const valid = {
    name: 'tdp-1.20',
    backstageRelease: '1.20.3',
    frontendSystem: 'legacy',
    backendSystem: 'legacy',
    node: '20',
  };

  it('lists the directories with a host.json, by name, each with its directory', () => {
    writeHost('b-host', { ...valid, name: 'b-host' });
    writeHost('a-host', { ...valid, name: 'a-host', knownBroken: 'it fails' });
    mkdirSync(join(dir, 'not-a-host'));
    writeFileSync(join(dir, 'hostCommands.mjs'), '');

    expect(listHosts(dir)).toEqual([
      {
        ...valid,
        name: 'a-host',
        knownBroken: 'it fails',
        dir: join(dir, 'a-host'),
      },
      { ...valid, name: 'b-host', dir: join(dir, 'b-host') },
    ]);
  });

  it('names the file and every wrong field', () => {
    writeHost('wrong', { ...valid, frontendSystem: 'classic', node: 20 });

    expect(() => readHost(join(dir, 'wrong'))).toThrow(
      `${join(
        dir,
        'wrong',
        'host.json',
      )}: "node" must be a non-empty string; "frontendSystem" must be "legacy" or "new"`,
    );
  });

  it('says when host.json is not JSON', () => {
    writeHost('broken', '{ "name": ');

    expect(() => readHost(join(dir, 'broken'))).toThrow(
      `${join(dir, 'broken', 'host.json')} is not readable JSON`,
    );
  });

  it('refuses an empty knownBroken, which would skip the journeys without a reason', () => {
    writeHost('empty-reason', { ...valid, knownBroken: '' });

    expect(() => readHost(join(dir, 'empty-reason'))).toThrow(
      '"knownBroken", when present, must be the error as a string',
    );
  });

  it('refuses an allJourneys that is not true or false', () => {
    writeHost('all', { ...valid, allJourneys: 'yes' });

    expect(() => readHost(join(dir, 'all'))).toThrow(
      '"allJourneys", when present, must be true or false',
    );
  });

  it("reads every one of the repository's hosts; exactly one runs every journey", () => {
    const hosts = listRepositoryHosts();
    expect(hosts.map(host => host.name)).toEqual(
      expect.arrayContaining(['current', 'legacy-frontend', 'tdp-1.20']),
    );
    expect(
      hosts.filter(host => host.allJourneys).map(host => host.name),
    ).toEqual(['current']);
  });
});
