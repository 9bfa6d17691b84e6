import {
  backendLikeStream,
  networkChunks,
  parseWithLibrary,
  parseWithOurs,
  weighSseParsers,
} from './sseParsers';

describe('weighing the stream parsers', () => {
  it('cuts the stream the same way every time, losing nothing', () => {
    const text = backendLikeStream(300);
    const chunks = networkChunks(text);
    expect(chunks.join('')).toBe(text);
    expect(networkChunks(text)).toEqual(chunks);
    expect(chunks.length).toBeGreaterThan(10);
  });

  it('gets one change event per frame from both parsers, heartbeats left out', () => {
    const chunks = networkChunks(backendLikeStream(120));
    const ours = parseWithOurs(chunks);
    expect(ours).toHaveLength(120);
    expect(ours[119]).toEqual({
      event: 'change',
      data: JSON.stringify({
        type: 'canary-changed',
        ref: { cluster: 'cluster-19', namespace: 'apps', name: 'app-119' },
      }),
    });
    expect(parseWithLibrary(chunks)).toEqual(ours);
  });

  it('reports both timings per megabyte and whether the events agree', () => {
    const figures = weighSseParsers({ frames: 500, rounds: 1 });
    expect(figures).toMatchObject({
      frames: 500,
      chunking: 'network',
      sameEvents: true,
    });
    expect(figures.megabytes).toBeGreaterThan(0);
    expect(figures.oursMsPerMb).toBeGreaterThan(0);
    expect(figures.libraryMsPerMb).toBeGreaterThan(0);
  });
});
