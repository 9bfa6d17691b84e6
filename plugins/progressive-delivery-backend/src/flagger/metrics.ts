import {
  AnalysisMetric,
  MetricVerdict,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { analysisOf } from './analysis';

/**
 * What the metrics of a Flagger Canary's analysis mean: which are Flagger's builtin ones, the
 * range each must stay in, and how Flagger judges a value against it.
 */

type Obj = Record<string, any>;

/** The metrics Flagger answers with its own query for the routing provider. */
export const BUILTIN_METRICS = [
  'request-success-rate',
  'request-duration',
] as const;

/** The name of one of {@link BUILTIN_METRICS}. */
export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];

/** The analysis metrics of a canary that have a name (Flagger skips the others). */
export function metricsOf(canary: Obj): Obj[] {
  const metrics = analysisOf(canary)?.metrics;
  return Array.isArray(metrics)
    ? metrics.filter(metric => metric && typeof metric.name === 'string')
    : [];
}

/** A metric Flagger answers with its own query for the provider (no `templateRef`, no `query`). */
export function isBuiltinMetric(metric: Obj): boolean {
  return (
    (BUILTIN_METRICS as readonly string[]).includes(metric?.name) &&
    !metric.templateRef &&
    !metric.query
  );
}

/** The unit of a metric's values: Flagger's builtin ones are a percentage and milliseconds. */
export function metricUnit(metric: Obj): AnalysisMetric['unit'] {
  if (!isBuiltinMetric(metric)) return 'none';
  return metric.name === 'request-success-rate' ? 'percent' : 'milliseconds';
}

/**
 * The range a value must stay in. `thresholdRange` when set; otherwise the deprecated
 * `threshold` (Go's zero value 0 when absent) the way Flagger compares it: the builtin
 * success rate fails below it, every other metric above it.
 */
export function thresholdRangeOf(metric: Obj): { min?: number; max?: number } {
  if (metric.thresholdRange && typeof metric.thresholdRange === 'object') {
    return {
      min:
        typeof metric.thresholdRange.min === 'number'
          ? metric.thresholdRange.min
          : undefined,
      max:
        typeof metric.thresholdRange.max === 'number'
          ? metric.thresholdRange.max
          : undefined,
    };
  }
  const threshold = typeof metric.threshold === 'number' ? metric.threshold : 0;
  return metric.name === 'request-success-rate' && isBuiltinMetric(metric)
    ? { min: threshold }
    : { max: threshold };
}

/** Flagger fails a check when the value is below min or above max (the bounds themselves pass). */
export function verdictOf(
  value: number | undefined,
  range: { min?: number; max?: number },
): MetricVerdict {
  if (value === undefined || Number.isNaN(value)) return 'no-data';
  if (range.min !== undefined && value < range.min) return 'fail';
  if (range.max !== undefined && value > range.max) return 'fail';
  return 'pass';
}

/** Where a metric's query comes from. */
export function metricSource(metric: Obj): AnalysisMetric['source'] {
  if (metric.templateRef) return 'template';
  if (metric.query) return 'inline-query';
  return 'builtin';
}
