/**
 * The domain model of a Flagger canary as the Progressive Delivery plugins see it.
 *
 * The backend translates Kubernetes objects (Canary, its target Deployment, Events) and
 * Prometheus answers into these types; the frontend only renders them. Every field that
 * comes from a cluster may be missing there, so optional fields mean "not known", never "zero".
 */

/**
 * Where a canary lives. `cluster` is the name from the `kubernetes` cluster config.
 *
 * @public
 */
export interface CanaryRef {
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * The one string that names a canary across clusters, `cluster/namespace/name`, for maps, sets
 * and React keys. Neither part can hold a "/" (cluster, namespace and Kubernetes names exclude
 * it), so two canaries never share a key.
 *
 * @public
 */
export function canaryKey(ref: CanaryRef): string {
  return `${ref.cluster}/${ref.namespace}/${ref.name}`;
}

/**
 * The phases Flagger writes to `status.phase` (flagger.app/v1beta1).
 *
 * @public
 */
export const CANARY_PHASES = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;

/** @public */
export type CanaryPhase = (typeof CANARY_PHASES)[number];

/**
 * How Flagger moves traffic, derived the way Flagger derives it
 * (`Canary.DeploymentStrategy()`, plus the `kubernetes` provider forcing blue-green).
 *
 * @public
 */
export type DeliveryStrategy = 'canary' | 'blue-green' | 'ab-testing';

/**
 * What the release is doing, in one word a UI can switch on. More precise than the phase:
 * a denied traffic increase has no phase of its own, and a suspended canary keeps its phase.
 *
 * @public
 */
export type ReleaseStateKind =
  | 'initializing'
  | 'idle'
  | 'waiting-rollout-approval'
  | 'progressing'
  | 'waiting-traffic-approval'
  | 'waiting-promotion-approval'
  | 'promoting'
  | 'finalising'
  | 'succeeded'
  | 'failed'
  | 'terminating'
  | 'terminated'
  | 'suspended'
  | 'unknown';

/**
 * How a state should read at a glance; never the only signal (the headline says it in words).
 *
 * @public
 */
export type StateTone = 'ok' | 'progress' | 'waiting' | 'error' | 'neutral';

/** @public */
export interface ReleaseState {
  kind: ReleaseStateKind;
  tone: StateTone;
  /** Plain words, e.g. "Waiting for promotion approval" or `Rolled back: request-success-rate 91.20% < 99%`. */
  headline: string;
  /** Optional second sentence: why, or what happens next. */
  detail?: string;
  /** Set when a person (or an external gate) is expected to act. */
  waitingFor?: GateKind;
  /** Set when Flagger reports, tick after tick, what keeps the release from moving on. */
  blockedBy?: ReleaseBlocker;
}

/**
 * What a canary is stuck on, as Flagger's newest event of the current run says it: a workload
 * that is not ready (Flagger waits for it, up to the progress deadline), or a pre-rollout or
 * rollout webhook that fails (each failure is a failed check).
 *
 * @public
 */
export interface ReleaseBlocker {
  kind: 'primary-not-ready' | 'canary-not-ready' | 'webhook-failed';
  /** Flagger's event message, word for word. */
  message: string;
  /** When Flagger first said so in the current run. */
  since: string;
  /** The Deployment Flagger waits for, with its pods as its status reports them. */
  workload?: {
    name: string;
    readyReplicas: number;
    desiredReplicas: number;
    /** The Deployment's own reason, e.g. a ReplicaFailure condition's message. */
    condition?: string;
  };
  /** The failing webhook: its name in `spec.analysis.webhooks`, type, and the error Flagger got. */
  webhook?: { name: string; type: 'pre-rollout' | 'rollout'; error: string };
  /**
   * `spec.progressDeadlineSeconds` (default 600) for a workload that is not ready. `enforced`
   * tells whether Flagger's own clock runs: it counts from the Deployment's Available condition
   * and rolls back when it passes; otherwise `at` is counted from the start of the phase and
   * Flagger keeps waiting.
   */
  progressDeadline?: {
    seconds: number;
    at: string;
    passed: boolean;
    enforced: boolean;
  };
}

/**
 * The gate webhooks Flagger calls and the portal can answer.
 *
 * @public
 */
export const GATE_KINDS = [
  'confirm-rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'rollback',
] as const;
/** @public */
export type GateKind = (typeof GATE_KINDS)[number];

/**
 * A webhook configured in `spec.analysis.webhooks`.
 *
 * @public
 */
export interface ConfiguredWebhook {
  name: string;
  /** Flagger's hook type; an empty type means `rollout`. */
  type:
    | GateKind
    | 'pre-rollout'
    | 'rollout'
    | 'post-rollout'
    | 'event'
    | string;
  url: string;
  /** True when the URL points at this portal's webhook endpoints, so the portal decides it. */
  servedByPortal: boolean;
}

/**
 * Traffic split and step progress.
 *
 * @public
 */
export interface TrafficProgress {
  /** `weight` for the canary strategy; `iterations` for blue-green and A/B testing. */
  mode: 'weight' | 'iterations';
  /**
   * The real share of traffic on the canary, in percent. Flagger resets
   * `status.canaryWeight` to 0 in WaitingPromotion while the route still sends
   * maxWeight to the canary; this field corrects for that.
   */
  canaryWeight?: number;
  /** Where `canaryWeight` came from. */
  weightSource?: 'status' | 'derived';
  /** Effective maximum weight (min of 100, last stepWeights entry, maxWeight). */
  maxWeight?: number;
  stepWeight?: number;
  stepWeights?: number[];
  /** Steps (weight increases or iterations) done so far in this run. */
  currentStep: number;
  /** Steps needed before promotion. */
  totalSteps?: number;
}

/**
 * Failed checks against the rollback threshold.
 *
 * @public
 */
export interface AnalysisChecks {
  failedChecks: number;
  /** Flagger treats a threshold of 0 or less as 1. */
  threshold: number;
}

/** @public */
export type MetricSource = 'builtin' | 'template' | 'inline-query';

/**
 * The verdict on a metric's latest value against its threshold range.
 *
 * @public
 */
export type MetricVerdict = 'pass' | 'fail' | 'no-data' | 'unavailable';

/** @public */
export interface MetricSample {
  /** ISO timestamp. */
  at: string;
  value: number;
}

/** @public */
export interface AnalysisMetric {
  name: string;
  source: MetricSource;
  /** Set when source is `template`. */
  templateRef?: { namespace: string; name: string };
  /** Window of the query, Flagger syntax ("1m", "30s"). */
  interval: string;
  thresholdRange: { min?: number; max?: number };
  /** Unit of value and thresholds: builtin success rate is percent, builtin duration milliseconds. */
  unit: 'percent' | 'milliseconds' | 'none';
  /** The PromQL the backend ran for the canary, with Flagger's template variables substituted. */
  query?: string;
  /** The same query for the primary, when it can be derived (builtin metrics). */
  primaryQuery?: string;
  /** A link to the Prometheus graph page for `query`, when a Prometheus URL is configured. */
  prometheusUrl?: string;
  current?: {
    verdict: MetricVerdict;
    value?: number;
    primaryValue?: number;
    /** Why the value is missing when verdict is `no-data` or `unavailable`. */
    message?: string;
    at: string;
  };
}

/**
 * Series for charts, fetched on demand for one canary (not part of the list summary).
 *
 * @public
 */
export interface MetricSeries {
  metric: string;
  unit: AnalysisMetric['unit'];
  thresholdRange: { min?: number; max?: number };
  canary: MetricSample[];
  primary?: MetricSample[];
  /** Set when Prometheus could not answer. */
  error?: string;
}

/**
 * Containers and their images of one side of the release.
 *
 * @public
 */
export interface WorkloadSide {
  name: string;
  images: Array<{ container: string; image: string }>;
  /** Desired and available replicas as the Deployment reports them. */
  replicas?: { desired: number; available: number };
}

/** @public */
export interface TrackedConfig {
  kind: 'configmap' | 'secret';
  name: string;
  checksum: string;
}

/** @public */
export type CanaryEventCategory =
  | 'initialization'
  | 'new-revision'
  | 'advance'
  | 'halt'
  | 'gate-wait'
  | 'gate-pass'
  | 'promotion'
  | 'rollback'
  | 'failure'
  | 'other';

/** @public */
export interface CanaryEvent {
  category: CanaryEventCategory;
  type: 'Normal' | 'Warning';
  message: string;
  /** ISO timestamps. */
  firstSeen: string;
  lastSeen: string;
  count: number;
}

/** @public */
export type CanaryAction =
  | 'promote'
  | 'rollback'
  | 'pause'
  | 'resume'
  | 'approve-rollout';

/**
 * The complete summary of one canary.
 *
 * @public
 */
export interface CanarySummary {
  ref: CanaryRef;
  /** Stable identity of the revision under release (see `revisionKey` in the backend). */
  revision?: string;
  targetRef: { kind: string; name: string };
  /** Workload names that tie the canary to a TAP Workload (targetRef name or carto.run/workload-name). */
  workloadName?: string;
  provider?: string;
  strategy: DeliveryStrategy;
  /** Traffic mirroring is on (`analysis.mirror`). */
  mirroring: boolean;
  /** `status.phase` when it is one Flagger documents. */
  phase?: CanaryPhase;
  /** `status.phase` as written, also when unknown or missing (undefined). */
  rawPhase?: string;
  state: ReleaseState;
  suspended: boolean;
  skipAnalysis: boolean;
  traffic: TrafficProgress;
  checks: AnalysisChecks;
  /** Analysis interval in seconds (Flagger's default 60 s, minimum 10 s). */
  intervalSeconds: number;
  progressDeadlineSeconds: number;
  metrics: AnalysisMetric[];
  webhooks: ConfiguredWebhook[];
  canary?: WorkloadSide;
  primary?: WorkloadSide;
  trackedConfigs: TrackedConfig[];
  /** ISO timestamps. */
  lastTransitionTime?: string;
  startedAt?: string;
  /** Estimated seconds until promotion if every remaining step passes. */
  estimatedSecondsLeft?: number;
  /** Kubernetes Events about the Canary, classified, newest first. */
  events: CanaryEvent[];
  /** Actions the phase allows, with the reason for those it does not. */
  actions: ActionAvailability[];
  /** A human decision recorded for the current revision. */
  pendingDecision?: GateDecision;
  /** Why the current (or last) rollout started; undefined when nothing tells. */
  trigger?: RolloutTrigger;
  /** Set when the release was rolled back: how far it got and what ended it. */
  rollback?: RollbackReport;
  /** False when the data comes from a cache of a cluster that is currently unreachable. */
  fresh: boolean;
}

/**
 * Why a rollout started: Flagger starts one when the pod template's hash or a tracked
 * ConfigMap's or Secret's checksum changes, and also when its own hash of an unchanged
 * template changes (as after some Flagger upgrades, fluxcd/flagger#1799).
 *
 * @public
 */
export interface RolloutTrigger {
  /**
   * `image`: a container's image changed; `config`: a tracked ConfigMap or Secret changed;
   * `pod-template`: another part of the pod template changed (environment, arguments, resources);
   * `restart`: the pod template is the primary's, so Flagger restarted the analysis of the same
   * workload; `unknown`: nothing the backend sees tells which.
   */
  kind: 'image' | 'config' | 'pod-template' | 'restart' | 'unknown';
  /** The containers whose image changed, from the primary's image to the canary's. */
  images: Array<{ container: string; from?: string; to: string }>;
  /** The tracked ConfigMaps and Secrets whose checksum changed. */
  configs: Array<{ kind: TrackedConfig['kind']; name: string }>;
  /** One sentence, e.g. "Image of container app changed: podinfo:6.0.0 → podinfo:6.1.0". */
  description: string;
}

/**
 * How far a rolled-back release got and which checks ended it. Flagger resets the weight,
 * iterations and failed checks of a Failed canary to 0, so these come from the rollout record
 * and the events of the run.
 *
 * @public
 */
export interface RollbackReport {
  /** The furthest step (weight increase or iteration) the run reached, when known. */
  reachedStep?: number;
  totalSteps?: number;
  /** The highest canary weight in percent the run reached (canary strategy), when known. */
  reachedWeight?: number;
  /** Failed checks counted when it rolled back, when known. */
  failedChecks?: number;
  threshold: number;
  /** The failed checks of the run as Flagger reported them, newest first. */
  failures: Array<{ message: string; count: number; lastSeen?: string }>;
}

/** @public */
export interface ActionAvailability {
  action: CanaryAction;
  /** Whether the current state allows the action (permissions are checked separately). */
  applicable: boolean;
  /** Why not, in words a person understands. */
  reason?: string;
  /** When it takes effect, e.g. "at Flagger's next analysis tick (within 10s)". */
  effect?: string;
  /**
   * Set when steering this canary through the entity is off whatever its state: the canary
   * side does not name the entity (`binding`), or the portal runs without the permission
   * framework (`permission-framework`). `reason` then says what to add where.
   */
  steeringOff?: 'binding' | 'permission-framework';
}

/**
 * A person's decision on a gate, stored by the backend and bound to one revision.
 *
 * @public
 */
export interface GateDecision {
  action: CanaryAction;
  revision: string;
  decidedBy: string;
  decidedAt: string;
  comment?: string;
  /** When Flagger picked it up through a gate webhook. */
  appliedAt?: string;
}

/** @public */
export type RolloutOutcome =
  | 'in-progress'
  | 'succeeded'
  | 'failed'
  | 'superseded';

/**
 * One rollout of one canary, kept by the backend because Flagger keeps none.
 *
 * @public
 */
export interface RolloutRecord {
  ref: CanaryRef;
  revision: string;
  images: string[];
  startedAt: string;
  endedAt?: string;
  outcome: RolloutOutcome;
  /** The metric or check that failed, with its value against the threshold, when known. */
  failureReason?: string;
  decisions: GateDecision[];
}
