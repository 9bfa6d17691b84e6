/**
 * The domain model of a Flagger canary as the Progressive Delivery plugins see it.
 *
 * The backend translates Kubernetes objects (Canary, its target Deployment, Events) and
 * Prometheus answers into these types; the frontend only renders them. Every field that
 * comes from a cluster may be missing there, so optional fields mean "not known", never "zero".
 * One file on purpose, over 400 lines: the model is read as a whole, and its types refer to each
 * other throughout.
 */

/**
 * Where a canary lives. `cluster` is the name from the `kubernetes` cluster config.
 *
 * @public
 */
export interface CanaryRef {
  /** The cluster's name as configured under `kubernetes.clusterLocatorMethods`. */
  cluster: string;
  /** The Kubernetes namespace of the Canary object. */
  namespace: string;
  /** The Canary object's name. */
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

/**
 * One of Flagger's documented phases, as listed in {@link CANARY_PHASES}.
 *
 * @public
 */
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

/**
 * What the release is doing and how to say it: a kind to switch on, a tone, and the words.
 *
 * @public
 */
export interface ReleaseState {
  /** What the release is doing; switch on this rather than on the phase. */
  kind: ReleaseStateKind;
  /** How the state should read at a glance (colour, icon). */
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
  /** What holds the release: the primary or the canary workload not ready, or a failing webhook. */
  kind: 'primary-not-ready' | 'canary-not-ready' | 'webhook-failed';
  /** Flagger's event message, word for word. */
  message: string;
  /** When Flagger first said so in the current run. */
  since: string;
  /** The Deployment Flagger waits for, with its pods as its status reports them. */
  workload?: {
    /** The Deployment's name. */
    name: string;
    /** Pods that are ready. */
    readyReplicas: number;
    /** Pods the Deployment wants. */
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
    /** The deadline in seconds. */
    seconds: number;
    /** ISO time at which the deadline passes. */
    at: string;
    /** True once `at` lies in the past. */
    passed: boolean;
    /** True when Flagger itself rolls back once the deadline passes. */
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
/**
 * A gate webhook type the portal can answer, one of {@link GATE_KINDS}.
 *
 * @public
 */
export type GateKind = (typeof GATE_KINDS)[number];

/**
 * A webhook configured in `spec.analysis.webhooks`.
 *
 * @public
 */
export interface ConfiguredWebhook {
  /** The webhook's `name` in `spec.analysis.webhooks`. */
  name: string;
  /** Flagger's hook type; an empty type means `rollout`. */
  type:
    | GateKind
    | 'pre-rollout'
    | 'rollout'
    | 'post-rollout'
    | 'event'
    | string;
  /** The URL Flagger calls. */
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
  /** `analysis.stepWeight`: the traffic added per step, in percent. */
  stepWeight?: number;
  /**
   * `analysis.stepWeights`: the traffic weight of each step, in percent, when the steps are uneven.
   */
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
  /**
   * Checks failed in the current run (`status.failedChecks`); Flagger rolls back at the threshold.
   */
  failedChecks: number;
  /** Flagger treats a threshold of 0 or less as 1. */
  threshold: number;
}

/**
 * Where a metric's query comes from: one of Flagger's builtin metrics, a MetricTemplate, or an inline query.
 *
 * @public
 */
export type MetricSource = 'builtin' | 'template' | 'inline-query';

/**
 * The verdict on a metric's latest value against its threshold range.
 *
 * @public
 */
export type MetricVerdict = 'pass' | 'fail' | 'no-data' | 'unavailable';

/**
 * One point of a metric's series.
 *
 * @public
 */
export interface MetricSample {
  /** ISO timestamp. */
  at: string;
  /** The metric's value, in the unit of its series. */
  value: number;
}

/**
 * One metric of the canary's analysis (`spec.analysis.metrics`), with its latest reading.
 *
 * @public
 */
export interface AnalysisMetric {
  /** The metric's name in `spec.analysis.metrics`. */
  name: string;
  /** Whether it is builtin, from a MetricTemplate or an inline query. */
  source: MetricSource;
  /** Set when source is `template`. */
  templateRef?: { namespace: string; name: string };
  /** Window of the query, Flagger syntax ("1m", "30s"). */
  interval: string;
  /** The range the value must stay within for a check to pass. */
  thresholdRange: { min?: number; max?: number };
  /** Unit of value and thresholds: builtin success rate is percent, builtin duration milliseconds. */
  unit: 'percent' | 'milliseconds' | 'none';
  /** The PromQL the backend ran for the canary, with Flagger's template variables substituted. */
  query?: string;
  /** The same query for the primary, when it can be derived (builtin metrics). */
  primaryQuery?: string;
  /** A link to the Prometheus graph page for `query`, when a Prometheus URL is configured. */
  prometheusUrl?: string;
  /** The latest reading against the threshold range; absent before the first reading. */
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
  /** The metric's name, as in {@link AnalysisMetric}. */
  metric: string;
  /** Unit of the samples and the thresholds. */
  unit: AnalysisMetric['unit'];
  /** The range the value must stay within, for drawing it on the chart. */
  thresholdRange: { min?: number; max?: number };
  /** Samples of the canary, oldest first. */
  canary: MetricSample[];
  /** Samples of the primary, oldest first, when the query can be derived for it. */
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
  /**
   * The Deployment's name (the target's name for the canary side, `<name>-primary` for the primary).
   */
  name: string;
  /** The image of each container. */
  images: Array<{ container: string; image: string }>;
  /** Desired and available replicas as the Deployment reports them. */
  replicas?: { desired: number; available: number };
}

/**
 * A ConfigMap or Secret Flagger tracks: a change to it starts a new rollout like a new image does.
 *
 * @public
 */
export interface TrackedConfig {
  /** Whether it is a ConfigMap or a Secret. */
  kind: 'configmap' | 'secret';
  /** Its name in the canary's namespace. */
  name: string;
  /** The checksum Flagger recorded in `status.trackedConfigs`. */
  checksum: string;
}

/**
 * What a Kubernetes Event about the Canary says, classified for the timeline.
 *
 * @public
 */
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

/**
 * A Kubernetes Event Flagger wrote about the Canary.
 *
 * @public
 */
export interface CanaryEvent {
  /** What the event says, classified. */
  category: CanaryEventCategory;
  /** The Event's type. */
  type: 'Normal' | 'Warning';
  /** Flagger's message, word for word. */
  message: string;
  /** ISO timestamps. */
  firstSeen: string;
  /** When it was last seen (ISO timestamp). */
  lastSeen: string;
  /** How many times Kubernetes counted it. */
  count: number;
}

/**
 * An action a person can take on a canary from the portal.
 *
 * @public
 */
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
  /** Where the canary lives. */
  ref: CanaryRef;
  /** Stable identity of the revision under release (see `revisionKey` in the backend). */
  revision?: string;
  /** The workload the canary releases (`spec.targetRef`). */
  targetRef: { kind: string; name: string };
  /** Workload names that tie the canary to a TAP Workload (targetRef name or carto.run/workload-name). */
  workloadName?: string;
  /** The mesh or ingress provider (`spec.provider`), when set. */
  provider?: string;
  /** How Flagger moves traffic for this canary. */
  strategy: DeliveryStrategy;
  /** Traffic mirroring is on (`analysis.mirror`). */
  mirroring: boolean;
  /** `status.phase` when it is one Flagger documents. */
  phase?: CanaryPhase;
  /** `status.phase` as written, also when unknown or missing (undefined). */
  rawPhase?: string;
  /** What the release is doing, in words and as a kind a UI can switch on. */
  state: ReleaseState;
  /** `spec.suspend`: Flagger ignores the canary while it is set. */
  suspended: boolean;
  /** `spec.skipAnalysis`: Flagger promotes without running the analysis. */
  skipAnalysis: boolean;
  /** The traffic split and how many steps are done. */
  traffic: TrafficProgress;
  /** Failed checks against the rollback threshold. */
  checks: AnalysisChecks;
  /** Analysis interval in seconds (Flagger's default 60 s, minimum 10 s). */
  intervalSeconds: number;
  /** `spec.progressDeadlineSeconds` (Flagger's default 600). */
  progressDeadlineSeconds: number;
  /** The analysis metrics with their latest readings. */
  metrics: AnalysisMetric[];
  /** The webhooks of `spec.analysis.webhooks`. */
  webhooks: ConfiguredWebhook[];
  /** The side under release (the target Deployment), when it exists. */
  canary?: WorkloadSide;
  /** The side serving the stable release (`<name>-primary`), when it exists. */
  primary?: WorkloadSide;
  /** ConfigMaps and Secrets whose change starts a rollout. */
  trackedConfigs: TrackedConfig[];
  /** ISO timestamps. */
  lastTransitionTime?: string;
  /** When the current rollout started. */
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
  /** The number of steps of the analysis (weight increases or iterations), when known. */
  totalSteps?: number;
  /** The highest canary weight in percent the run reached (canary strategy), when known. */
  reachedWeight?: number;
  /** Failed checks counted when it rolled back, when known. */
  failedChecks?: number;
  /** The canary's `analysis.threshold`: the failed checks that end a run. */
  threshold: number;
  /** The failed checks of the run as Flagger reported them, newest first. */
  failures: Array<{ message: string; count: number; lastSeen?: string }>;
}

/**
 * Whether one action is possible now, and if not, why.
 *
 * @public
 */
export interface ActionAvailability {
  /** The action this answer is about. */
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
  /** What was decided. */
  action: CanaryAction;
  /** The revision the decision is bound to; a new revision makes it void. */
  revision: string;
  /** The user entity ref of the person who decided. */
  decidedBy: string;
  /** When they decided (ISO timestamp). */
  decidedAt: string;
  /** The reason the person gave, when they gave one. */
  comment?: string;
  /** When Flagger picked it up through a gate webhook. */
  appliedAt?: string;
}

/**
 * How a rollout ended, or `in-progress`; `superseded` when a newer revision replaced it mid-way.
 *
 * @public
 */
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
  /** The canary the rollout belongs to. */
  ref: CanaryRef;
  /** The revision released (see {@link CanarySummary.revision}). */
  revision: string;
  /** The images of the canary side during the rollout. */
  images: string[];
  /** When the rollout started (ISO timestamp). */
  startedAt: string;
  /** When it ended (ISO timestamp); absent while in progress. */
  endedAt?: string;
  /** How it ended. */
  outcome: RolloutOutcome;
  /** The metric or check that failed, with its value against the threshold, when known. */
  failureReason?: string;
  /** Decisions people took on it, oldest first. */
  decisions: GateDecision[];
}
