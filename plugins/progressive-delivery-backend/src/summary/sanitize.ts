type Obj = Record<string, any>;

const isObject = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const finite = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

const objects = (value: unknown): Obj[] | undefined =>
  Array.isArray(value) ? value.filter(isObject) : undefined;

function analysis(value: unknown): Obj | undefined {
  if (!isObject(value)) return undefined;
  return {
    ...value,
    interval: text(value.interval),
    threshold: finite(value.threshold),
    maxWeight: finite(value.maxWeight),
    stepWeight: finite(value.stepWeight),
    stepWeights: Array.isArray(value.stepWeights)
      ? value.stepWeights.filter(weight => finite(weight) !== undefined)
      : undefined,
    stepWeightPromotion: finite(value.stepWeightPromotion),
    iterations: finite(value.iterations),
    match: objects(value.match),
    mirror: value.mirror === true,
    mirrorWeight: finite(value.mirrorWeight),
    metrics: objects(value.metrics),
    webhooks: objects(value.webhooks),
  };
}

/**
 * The Canary with every field the summary reads coerced to the type Flagger's CRD declares:
 * a field of another type (written by hand, by an older or newer Flagger, or through an API
 * server without the CRD's schema) reads as absent, so the summary says "unknown" instead of
 * failing. The object itself is not changed.
 */
export function sanitizeCanary(canary: Obj): Obj {
  const spec = isObject(canary.spec) ? canary.spec : {};
  const status = isObject(canary.status) ? canary.status : undefined;
  return {
    ...canary,
    metadata: isObject(canary.metadata) ? canary.metadata : {},
    spec: {
      ...spec,
      provider: text(spec.provider),
      targetRef: isObject(spec.targetRef)
        ? {
            ...spec.targetRef,
            kind: text(spec.targetRef.kind),
            name: text(spec.targetRef.name),
          }
        : undefined,
      service: isObject(spec.service) ? spec.service : undefined,
      analysis: analysis(spec.analysis),
      canaryAnalysis: analysis(spec.canaryAnalysis),
      progressDeadlineSeconds: finite(spec.progressDeadlineSeconds),
      skipAnalysis: spec.skipAnalysis === true,
      suspend: spec.suspend === true,
    },
    status: status && {
      ...status,
      phase: text(status.phase),
      canaryWeight: finite(status.canaryWeight),
      iterations: finite(status.iterations),
      failedChecks: finite(status.failedChecks),
      lastTransitionTime: text(status.lastTransitionTime),
      lastAppliedSpec: text(status.lastAppliedSpec),
      lastPromotedSpec: text(status.lastPromotedSpec),
      trackedConfigs: isObject(status.trackedConfigs)
        ? status.trackedConfigs
        : undefined,
      conditions: objects(status.conditions),
    },
  };
}
