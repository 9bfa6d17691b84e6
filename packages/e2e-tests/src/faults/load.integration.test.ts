/*
 * Load: 200 clients asking for the summary back to back and 500 open push subscriptions, for a
 * minute, against the real backend on the sandbox. No request may fail, every subscription
 * stays open and hears the changes, and the backend's memory returns to its baseline once
 * everyone has left.
 */
import { cpus } from 'node:os';
import { adminClient, SAMPLE_NAMESPACE } from '@progressive-delivery/sandbox';
import { entityRef, PortalApi } from '../harness/api';
import { BackendMemory, RunningBackend } from '../harness/portal';
import { requireSandbox } from '../harness/sandbox';
import { EventStream } from '../harness/stream';
import {
  artifactsFor,
  MINUTE,
  SECOND,
  sleep,
  startFaultBackend,
} from './support';

const APP = 'hello-contour';
const CLIENTS = 200;
const SUBSCRIPTIONS = 500;
const DURATION_MS = MINUTE;
/** A first, shorter round that brings the process to its working set for this many connections. */
const WARMUP_MS = 15 * SECOND;
/** Heap after GC may end this much above the baseline (caches warmed by the load itself). */
const HEAP_MARGIN_MB = 15;
/**
 * RSS is compared with its level after the warm-up round, not before any load: V8 and the
 * allocator keep the pages a burst of connections needed, for the next burst. A leak grows
 * with the requests served, and the measured round serves four times the warm-up's.
 */
const RSS_MARGIN_SHARE = 0.1;
const ANNOTATION = 'pd-faults/load-tick';
const canaryPath = `/apis/flagger.app/v1beta1/namespaces/${SAMPLE_NAMESPACE}/canaries/${APP}`;

let backend: RunningBackend;
let api: PortalApi;

jest.setTimeout(6 * MINUTE);

beforeAll(async () => {
  const info = requireSandbox();
  ({ backend, api } = await startFaultBackend(info, {
    artifactsDir: artifactsFor('load'),
    entity: APP,
    memoryProbe: true,
    // Every subscription signs in as the one guest user, where a portal has 500 people: lift the
    // per-user stream limit above them (the total limit stays the backend's default).
    config: { streamsPerPrincipal: SUBSCRIPTIONS + 50 },
  }));
}, 5 * MINUTE);

afterAll(async () => {
  await adminClient('dev')
    .mergePatch(canaryPath, {
      metadata: { annotations: { [ANNOTATION]: null } },
    })
    .catch(() => undefined);
  await backend?.stop();
});

/** The lowest of a few measurements: one GC pass may still run behind. */
async function settledMemory(): Promise<BackendMemory> {
  const samples: BackendMemory[] = [];
  for (let i = 0; i < 3; i += 1) {
    samples.push(await backend.measureMemory());
    await sleep(SECOND);
  }
  return {
    rssMb: Math.min(...samples.map(s => s.rssMb)),
    heapUsedMb: Math.min(...samples.map(s => s.heapUsedMb)),
  };
}

interface RoundResult {
  requests: number;
  latencies: number[];
  failures: string[];
  /** Per stream, how many changes of the app it heard. */
  heard: number[];
  endedEarly: string[];
  peak: BackendMemory;
}

/** 200 clients on the summary and 500 subscriptions for `durationMs`; everyone leaves at the end. */
async function loadRound(durationMs: number): Promise<RoundResult> {
  const summaryUrl = `/canaries?entityRef=${encodeURIComponent(
    entityRef(APP),
  )}`;
  const streams = await Promise.all(
    Array.from({ length: SUBSCRIPTIONS }, () =>
      EventStream.open(api.streamUrl(APP), api.token),
    ),
  );
  const failures: string[] = [];
  const latencies: number[] = [];
  const until = Date.now() + durationMs;
  const client = async () => {
    while (Date.now() < until) {
      const startedAt = performance.now();
      try {
        const response = await api.fetch(summaryUrl);
        const body = await response.json();
        if (response.status !== 200 || !Array.isArray(body.items)) {
          failures.push(
            `${response.status}: ${JSON.stringify(body).slice(0, 200)}`,
          );
        }
      } catch (error) {
        failures.push(String(error));
      }
      latencies.push(performance.now() - startedAt);
    }
  };
  // A change every 5 s, which every subscriber must hear.
  const admin = adminClient('dev');
  const ticks = (async () => {
    for (let tick = 1; Date.now() < until - 3 * SECOND; tick += 1) {
      await admin.mergePatch(canaryPath, {
        metadata: { annotations: { [ANNOTATION]: `${Date.now()}-${tick}` } },
      });
      await sleep(5 * SECOND);
    }
  })();
  await Promise.all([...Array.from({ length: CLIENTS }, client), ticks]);
  await sleep(2 * SECOND);
  const peak = await backend.measureMemory();
  const heard = streams.map(
    s =>
      s.messages.filter(
        m => m.data.type === 'canary-changed' && m.data.ref?.name === APP,
      ).length,
  );
  const endedEarly = streams
    .map(s => s.endedEarly)
    .filter((reason): reason is string => Boolean(reason));
  for (const stream of streams) stream.close();
  return {
    requests: latencies.length,
    latencies,
    failures,
    heard,
    endedEarly,
    peak,
  };
}

test('200 summary clients and 500 subscriptions for a minute: no errors, memory back to its baseline', async () => {
  const warmup = await loadRound(WARMUP_MS);
  expect(warmup.failures.slice(0, 5)).toEqual([]);
  await sleep(5 * SECOND);
  const baseline = await settledMemory();

  const round = await loadRound(DURATION_MS);
  expect(round.failures.slice(0, 5)).toEqual([]);
  expect(round.endedEarly).toEqual([]);
  // Ticks every 5 s for the minute: every stream heard (nearly) all of them.
  expect(Math.min(...round.heard)).toBeGreaterThanOrEqual(10);
  expect(round.requests).toBeGreaterThan(3 * warmup.requests);

  await sleep(5 * SECOND);
  const after = await settledMemory();
  const latencies = [...round.latencies].sort((a, b) => a - b);
  const p = (q: number) =>
    Math.round(latencies[Math.floor(q * (latencies.length - 1))]);
  process.stderr.write(
    `[faults] load: ${round.requests} summaries in ${
      DURATION_MS / SECOND
    } s after a ${WARMUP_MS / SECOND} s warm-up of ${warmup.requests} (p50 ${p(
      0.5,
    )} ms, p99 ${p(0.99)} ms with ${CLIENTS} clients on ${
      cpus().length
    } CPUs), ${SUBSCRIPTIONS} streams heard >= ${Math.min(
      ...round.heard,
    )} changes each; heap ${baseline.heapUsedMb.toFixed(
      1,
    )} -> peak ${round.peak.heapUsedMb.toFixed(
      1,
    )} -> ${after.heapUsedMb.toFixed(1)} MB, RSS ${baseline.rssMb.toFixed(
      0,
    )} -> ${round.peak.rssMb.toFixed(0)} -> ${after.rssMb.toFixed(
      0,
    )} MB (warm-up peak ${warmup.peak.rssMb.toFixed(0)} MB)\n`,
  );
  expect(after.heapUsedMb).toBeLessThan(baseline.heapUsedMb + HEAP_MARGIN_MB);
  expect(after.rssMb).toBeLessThan(baseline.rssMb * (1 + RSS_MARGIN_SHARE));
});
