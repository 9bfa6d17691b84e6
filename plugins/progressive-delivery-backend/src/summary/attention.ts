import {
  CanarySummary,
  GateKind,
} from '@progressive-delivery/plugin-progressive-delivery-common';

/**
 * Which releases need a person: a gate this portal answers waits for a decision, or the
 * release was rolled back. The notifications and the "Waiting for you" page share these.
 */

/**
 * The gate a person can open in this portal that the release waits at, or undefined: Flagger
 * asks a gate webhook served by the portal, no decision for it is recorded yet, and the wait
 * is not a pause the person asked for.
 */
export function waitingForPortalDecision(
  summary: CanarySummary,
): GateKind | undefined {
  const gate = summary.state.waitingFor;
  if (!gate) return undefined;
  if (!summary.webhooks.some(hook => hook.type === gate && hook.servedByPortal))
    return undefined;
  const decision = summary.pendingDecision;
  if (decision?.action === 'pause') return undefined;
  if (decision && !decision.appliedAt) return undefined;
  return gate;
}

/** The states a person is told about. */
export type NoticeState =
  | 'waiting-rollout-approval'
  | 'waiting-traffic-approval'
  | 'waiting-promotion-approval'
  | 'rollback-decision'
  | 'failed';

/** A failure older than this when first seen (a restart, a new install) is not news. */
export const FAILURE_NEWS_MS = 60 * 60_000;

const GATE_STATES: Record<GateKind, NoticeState> = {
  'confirm-rollout': 'waiting-rollout-approval',
  'confirm-traffic-increase': 'waiting-traffic-approval',
  'confirm-promotion': 'waiting-promotion-approval',
  rollback: 'rollback-decision',
};

const GATE_WORDS: Record<GateKind, string> = {
  'confirm-rollout': 'waits for approval to start its rollout',
  'confirm-traffic-increase': 'waits for approval to increase traffic',
  'confirm-promotion': 'waits for promotion approval',
  rollback: 'waits for a rollback decision',
};

export interface ReleaseNotice {
  state: NoticeState;
  /** e.g. "podinfo in dev waits for promotion approval". */
  title: string;
  /** The state in words, the revision under release, and for a failure why. */
  description: string;
  severity: 'critical' | 'high' | 'normal';
}

function revisionWords(summary: CanarySummary): string {
  const images = summary.canary?.images.map(image => image.image) ?? [];
  const revision = summary.revision
    ? `revision ${summary.revision.slice(0, 12)}`
    : undefined;
  return [images.length ? images.join(', ') : undefined, revision]
    .filter(Boolean)
    .join(', ');
}

/** What to tell the owners about a release now, or undefined when nothing needs them. */
export function releaseNotice(
  summary: CanarySummary,
  now: Date,
): ReleaseNotice | undefined {
  const { ref } = summary;
  const where = `${ref.namespace}/${ref.name} in cluster ${ref.cluster}`;
  const version = revisionWords(summary);
  const gate = waitingForPortalDecision(summary);
  if (gate) {
    return {
      state: GATE_STATES[gate],
      title: `Release of ${ref.name} ${GATE_WORDS[gate]}`,
      description: `Canary ${where} ${GATE_WORDS[gate]}${
        version ? ` (${version})` : ''
      }. ${summary.state.headline}.`,
      severity: 'high',
    };
  }
  if (summary.state.kind !== 'failed') return undefined;
  const endedAt = summary.lastTransitionTime
    ? Date.parse(summary.lastTransitionTime)
    : NaN;
  if (Number.isNaN(endedAt) || now.getTime() - endedAt > FAILURE_NEWS_MS)
    return undefined;
  const report = summary.rollback;
  const reached =
    report?.reachedStep !== undefined && report.totalSteps !== undefined
      ? ` It reached step ${report.reachedStep} of ${report.totalSteps}${
          report.reachedWeight !== undefined
            ? ` (${report.reachedWeight}% of traffic)`
            : ''
        }.`
      : '';
  return {
    state: 'failed',
    title: `Release of ${ref.name} was rolled back`,
    description: `Canary ${where} was rolled back${
      version ? ` (${version})` : ''
    }. ${summary.state.headline}.${reached}`,
    severity: 'critical',
  };
}
