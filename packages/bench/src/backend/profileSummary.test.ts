import { CpuProfile, shortLocation, summarizeProfile } from './profileSummary';

const frame = (functionName: string, url = '', lineNumber = -1) => ({
  functionName,
  url,
  lineNumber,
});

/** root → handle (twice in the tree) and idle; samples 1 ms apart unless told otherwise. */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    {
      id: 2,
      callFrame: frame('handle', 'file:///repo/plugins/x/src/router.ts', 9),
    },
    { id: 3, callFrame: frame('(idle)') },
    {
      id: 4,
      callFrame: frame('handle', 'file:///repo/plugins/x/src/router.ts', 9),
    },
    {
      id: 5,
      callFrame: frame(
        '',
        '/repo/node_modules/express/lib/router/index.js',
        41,
      ),
    },
  ],
  startTime: 0,
  endTime: 10_000,
  // at 1, 2, 3, 4, 6, 10 ms: node 2 for 1 ms, node 4 for 1+2 ms, node 3 for 1+4 ms, node 5 for 0
  samples: [2, 4, 3, 4, 3, 5],
  timeDeltas: [1000, 1000, 1000, 1000, 2000, 4000],
};

describe('summarizeProfile', () => {
  it('adds up each function’s self time over its call sites, largest first, with shares', () => {
    const summary = summarizeProfile(profile, { repoRoot: '/repo' });
    expect(summary.samples).toBe(6);
    expect(summary.totalMs).toBe(9);
    expect(summary.top).toEqual([
      {
        functionName: '(idle)',
        location: '',
        selfMs: 5,
        percent: 55.6,
      },
      {
        functionName: 'handle',
        location: 'plugins/x/src/router.ts:10',
        selfMs: 4,
        percent: 44.4,
      },
    ]);
  });

  it('lists at most `top` functions', () => {
    expect(summarizeProfile(profile, { top: 1 }).top).toHaveLength(1);
  });

  it('spreads the profile’s time over the hit counts when it has no samples', () => {
    const summary = summarizeProfile({
      nodes: [
        { id: 1, callFrame: frame('a'), hitCount: 3 },
        { id: 2, callFrame: frame(''), hitCount: 1 },
      ],
      startTime: 0,
      endTime: 8_000,
    });
    expect(summary.top).toEqual([
      { functionName: 'a', location: '', selfMs: 6, percent: 75 },
      { functionName: '(anonymous)', location: '', selfMs: 2, percent: 25 },
    ]);
  });
});

describe('summarizeProfile of code made at run time', () => {
  it('names a frame without name and url by its nearest caller with a url, one entry per caller', () => {
    const summary = summarizeProfile(
      {
        nodes: [
          { id: 1, callFrame: frame('(root)'), children: [2, 4] },
          {
            id: 2,
            callFrame: frame('compile', 'file:///repo/node_modules/q/a.js', 4),
            children: [3],
          },
          // native or generated code run by `compile`, calling more of it
          { id: 3, callFrame: frame(''), hitCount: 2, children: [5] },
          { id: 5, callFrame: frame(''), hitCount: 1 },
          {
            id: 4,
            callFrame: frame('', 'file:///repo/src/b.ts', 0),
            children: [6],
          },
          { id: 6, callFrame: frame(''), hitCount: 1 },
          { id: 7, callFrame: frame(''), hitCount: 1 },
        ],
        startTime: 0,
        endTime: 5_000,
      },
      { repoRoot: '/repo' },
    );
    expect(summary.top).toEqual([
      {
        functionName: '(native or generated)',
        location: 'called from compile node_modules/q/a.js:5',
        selfMs: 3,
        percent: 60,
      },
      {
        functionName: '(native or generated)',
        location: 'called from (anonymous) src/b.ts:1',
        selfMs: 1,
        percent: 20,
      },
      // no caller known at all
      { functionName: '(anonymous)', location: '', selfMs: 1, percent: 20 },
    ]);
  });
});

describe('shortLocation', () => {
  it('keeps a dependency from node_modules on, a repository file relative, lines 1-based', () => {
    expect(
      shortLocation('file:///r/node_modules/a/node_modules/b/x.js', 0, '/r'),
    ).toBe('node_modules/b/x.js:1');
    expect(shortLocation('/r/packages/p/src/y.ts', 11, '/r/')).toBe(
      'packages/p/src/y.ts:12',
    );
    expect(shortLocation('node:internal/timers', 5)).toBe(
      'node:internal/timers:6',
    );
    expect(shortLocation('', 3)).toBe('');
  });
});
