/*
 * Weighs the frontend's server-sent-events parser (ServerSentEventParser, in the plugin's API)
 * against `eventsource-parser` used directly, on the frames our backend writes: a `: connected`
 * comment, `event: change` frames of one small JSON each, `: heartbeat` comments. Both get the
 * same stream cut into the same chunks; the events they give must be equal. The plugin's
 * parser was hand-written until this showed the library 3 to 9 times faster with the same
 * events; it is now the library behind the API's shape (see the plugin's src/api/sse.ts).
 */
// The benchmark weighs the frontend plugin's own parser, in Node: nothing of React is rendered.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import { ServerSentEventParser } from '@progressive-delivery/plugin-progressive-delivery';
import { createParser } from 'eventsource-parser';

export interface ParsedEvent {
  event: string;
  data: string;
}

export interface SseParserFigures {
  frames: number;
  megabytes: number;
  /** How the stream was cut: `network` (chunks of 1 to 1,400 characters) or `whole`. */
  chunking: 'network' | 'whole';
  oursMsPerMb: number;
  libraryMsPerMb: number;
  /** Both parsers gave the same events. */
  sameEvents: boolean;
}

/** The stream a tab following `frames` changes reads, one heartbeat every 50 changes. */
export function backendLikeStream(frames: number): string {
  const parts = [': connected\n\n'];
  for (let i = 0; i < frames; i += 1) {
    const message = {
      type: 'canary-changed',
      ref: {
        cluster: `cluster-${i % 20}`,
        namespace: 'apps',
        name: `app-${i}`,
      },
    };
    parts.push(`event: change\ndata: ${JSON.stringify(message)}\n\n`);
    if (i % 50 === 49) parts.push(': heartbeat\n\n');
  }
  return parts.join('');
}

/** Cuts `text` as a network delivers it: pieces of 1 to 1,400 characters, the same every run. */
export function networkChunks(text: string, seed = 7): string[] {
  const chunks: string[] = [];
  let state = seed;
  for (let start = 0; start < text.length; ) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const size = 1 + (state % 1400);
    chunks.push(text.slice(start, start + size));
    start += size;
  }
  return chunks;
}

export function parseWithOurs(chunks: string[]): ParsedEvent[] {
  const parser = new ServerSentEventParser();
  return chunks.flatMap(chunk =>
    parser.push(chunk).map(({ event, data }) => ({ event, data })),
  );
}

export function parseWithLibrary(chunks: string[]): ParsedEvent[] {
  const events: ParsedEvent[] = [];
  const parser = createParser({
    onEvent: ({ event, data }) =>
      events.push({ event: event ?? 'message', data }),
  });
  for (const chunk of chunks) parser.feed(chunk);
  return events;
}

function bestMs(run: () => unknown, rounds: number): number {
  let best = Infinity;
  for (let round = 0; round < rounds; round += 1) {
    const started = performance.now();
    run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Times both parsers (best of `rounds`) on `frames` changes, cut as `chunking` says. */
export function weighSseParsers(
  options: {
    frames?: number;
    rounds?: number;
    chunking?: 'network' | 'whole';
  } = {},
): SseParserFigures {
  const frames = options.frames ?? 20_000;
  const chunking = options.chunking ?? 'network';
  const text = backendLikeStream(frames);
  const chunks = chunking === 'network' ? networkChunks(text) : [text];
  const megabytes = text.length / 1e6;
  const ours = parseWithOurs(chunks);
  const library = parseWithLibrary(chunks);
  const rounds = options.rounds ?? 5;
  const round2 = (value: number) => Math.round(value * 100) / 100;
  return {
    frames,
    megabytes: round2(megabytes),
    chunking,
    oursMsPerMb: round2(
      bestMs(() => parseWithOurs(chunks), rounds) / megabytes,
    ),
    libraryMsPerMb: round2(
      bestMs(() => parseWithLibrary(chunks), rounds) / megabytes,
    ),
    sameEvents:
      ours.length === frames &&
      JSON.stringify(ours) === JSON.stringify(library),
  };
}
