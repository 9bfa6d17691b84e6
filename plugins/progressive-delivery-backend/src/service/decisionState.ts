import {
  CanaryRef,
  canaryKey,
  GateDecision,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { DecisionStore, revisionKeyOf } from '../database/DecisionStore';
import { RolloutHistory } from '../database/RolloutHistory';
import { CanarySummarizer, DecisionState, WatchedCanary } from '../types';

/**
 * What the decision side knows about a canary's current revision.
 *
 * While Waiting, the revision key is still the previous release's after a success (Flagger
 * writes the new lastAppliedSpec once the rollout starts; after a failure it writes it first), so
 * only the approve-rollout decision counts then: a promote or pause of the previous release must
 * not show up as pending for the next one.
 */
export function decisionStateFrom(
  open: GateDecision[],
  phase: string | undefined,
): DecisionState {
  const start = open.find(d => d.action === 'approve-rollout');
  if (phase === 'Waiting') return { paused: false, decision: start };
  const verdict = open.find(
    d => d.action === 'promote' || d.action === 'rollback',
  );
  const traffic = open.find(d => d.action === 'pause' || d.action === 'resume');
  return { paused: traffic?.action === 'pause', decision: verdict ?? traffic };
}

export async function decisionStateOf(
  decisions: DecisionStore,
  ref: CanaryRef,
  revision: string | undefined,
  phase: string | undefined,
): Promise<DecisionState> {
  if (!revision) return { paused: false };
  return decisionStateFrom(await decisions.decisionsFor(ref, revision), phase);
}

/**
 * Summaries with the decision state of each canary's current revision, read in one query, and
 * (given the history) what its rollout record remembers, in two more.
 */
export async function summarizeWithDecisions(
  summarizer: CanarySummarizer,
  decisions: DecisionStore,
  canaries: WatchedCanary[],
  rollouts?: RolloutHistory,
) {
  const phaseOf = new Map(
    canaries.map(c => [
      canaryKey(c.ref),
      c.object.status?.phase as string | undefined,
    ]),
  );
  const current = canaries.flatMap(c =>
    c.revision ? [{ ref: c.ref, revision: c.revision }] : [],
  );
  const [open, progress] = await Promise.all([
    decisions.decisionsForMany(current),
    rollouts?.progressOf(current),
  ]);
  return summarizer.summarize(canaries, async (ref, revision) =>
    revision
      ? {
          ...decisionStateFrom(
            open.get(revisionKeyOf(ref, revision)) ?? [],
            phaseOf.get(canaryKey(ref)),
          ),
          rollout: progress?.get(`${canaryKey(ref)}@${revision}`),
        }
      : { paused: false },
  );
}
