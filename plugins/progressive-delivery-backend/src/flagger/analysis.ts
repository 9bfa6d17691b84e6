import { DeliveryStrategy } from '@progressive-delivery/plugin-progressive-delivery-common';

/**
 * What the analysis part of a Flagger Canary spec means, read the way Flagger v1.44 reads it:
 * durations, interval, routing provider, strategy, traffic steps and iterations. Used by the
 * summary and by the metrics alike, so both read the spec the same way.
 */

type Obj = Record<string, any>;

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/**
 * Go's `time.ParseDuration` in seconds ("30s", "1m30s", "1.5h", "0"), as Flagger reads
 * `analysis.interval`; undefined when Go would reject the value.
 */
export function parseGoDurationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const match = /^([-+]?)(.*)$/.exec(text)!;
  const sign = match[1] === '-' ? -1 : 1;
  const body = match[2];
  if (body === '0') return 0;
  if (body === '') return undefined;
  let total = 0;
  let rest = body;
  while (rest.length > 0) {
    const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!part) return undefined;
    total += Number(part[1]) * GO_DURATION_UNITS[part[2]];
    rest = rest.slice(part[0].length);
  }
  return sign * total;
}

/** A duration in seconds, or `fallback` when it is missing or Go could not parse it. */
export function parseDurationSeconds(value: unknown, fallback: number): number {
  return parseGoDurationSeconds(value) ?? fallback;
}

/** `GetAnalysisInterval()`: default 60 s, unparsable 60 s, below 10 s raised to 10 s. */
export function analysisIntervalSeconds(analysis: Obj | undefined): number {
  if (!analysis?.interval) return 60;
  const seconds = parseGoDurationSeconds(analysis.interval);
  if (seconds === undefined) return 60;
  return seconds < 10 ? 10 : seconds;
}

export function analysisOf(canary: Obj): Obj | undefined {
  return canary.spec?.analysis ?? canary.spec?.canaryAnalysis;
}

/** The provider Flagger routes with: the canary's own, else the cluster's `-mesh-provider`. */
export function routingProviderOf(
  canary: Obj,
  meshProvider?: string,
): string | undefined {
  const own = canary.spec?.provider;
  return typeof own === 'string' && own !== '' ? own : meshProvider;
}

export function strategyOf(
  canary: Obj,
  meshProvider?: string,
): DeliveryStrategy {
  const analysis = analysisOf(canary) ?? {};
  if (routingProviderOf(canary, meshProvider) === 'kubernetes')
    return 'blue-green';
  if (
    analysis.iterations > 0 &&
    Array.isArray(analysis.match) &&
    analysis.match.length > 0
  ) {
    return 'ab-testing';
  }
  if (analysis.iterations > 0) return 'blue-green';
  return 'canary';
}

/** Flagger's `maxWeight()`: the last of `stepWeights` (at most 100), else `maxWeight`, else 100. */
export function effectiveMaxWeight(analysis: Obj): number {
  let weight = analysis.maxWeight > 0 ? analysis.maxWeight : 100;
  if (Array.isArray(analysis.stepWeights) && analysis.stepWeights.length > 0) {
    weight = analysis.stepWeights[analysis.stepWeights.length - 1];
  }
  return Math.max(0, Math.min(100, weight));
}

/**
 * The weights Flagger moves the canary through (`nextStepWeight()` from 0 until the weight
 * reaches maxWeight), e.g. stepWeight 30 and maxWeight 50 give [30, 60].
 */
export function weightSteps(analysis: Obj): number[] {
  const maxWeight = effectiveMaxWeight(analysis);
  const steps: number[] = [];
  if (
    analysis.stepWeight > 0 ||
    !Array.isArray(analysis.stepWeights) ||
    analysis.stepWeights.length === 0
  ) {
    if (!(analysis.stepWeight > 0)) return steps;
    for (let weight = 0; weight < maxWeight && steps.length < 100; ) {
      weight = Math.min(100, weight + analysis.stepWeight);
      steps.push(weight);
    }
    return steps;
  }
  for (const weight of analysis.stepWeights as number[]) {
    if (typeof weight !== 'number' || weight <= (steps[steps.length - 1] ?? 0))
      continue;
    steps.push(Math.min(100, weight));
    if (weight >= maxWeight) break;
  }
  return steps;
}

/** Iterations the analysis runs: `analysis.iterations`, or 10 when the kubernetes provider forces blue-green without them. */
export function configuredIterations(
  canary: Obj,
  meshProvider?: string,
): number | undefined {
  const iterations = analysisOf(canary)?.iterations;
  if (typeof iterations === 'number' && iterations > 0) return iterations;
  return routingProviderOf(canary, meshProvider) === 'kubernetes'
    ? 10
    : undefined;
}
