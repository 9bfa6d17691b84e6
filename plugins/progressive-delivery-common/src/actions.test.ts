import {
  ActionContext,
  getActionAvailability,
  getAllActionAvailability,
} from './actions';
import { ConfiguredWebhook, GateKind } from './canary';

const portalHook = (type: GateKind): ConfiguredWebhook => ({
  name: `portal-${type}`,
  type,
  url: `http://portal/api/progressive-delivery/webhooks/dev/gates/${type}`,
  servedByPortal: true,
});

const allGates: ConfiguredWebhook[] = [
  portalHook('confirm-rollout'),
  portalHook('confirm-traffic-increase'),
  portalHook('confirm-promotion'),
  portalHook('rollback'),
];

function context(overrides: Partial<ActionContext> = {}): ActionContext {
  return {
    phase: 'Progressing',
    strategy: 'canary',
    webhooks: allGates,
    paused: false,
    intervalSeconds: 10,
    ...overrides,
  };
}

describe('getActionAvailability', () => {
  it('allows promote, rollback and pause while the analysis runs', () => {
    for (const action of ['promote', 'rollback', 'pause'] as const) {
      expect(getActionAvailability(action, context())).toMatchObject({
        applicable: true,
        reason: undefined,
      });
    }
  });

  it('offers pause only while traffic steps remain (Flagger asks confirm-traffic-increase only while Progressing)', () => {
    const waiting = context({ phase: 'WaitingPromotion' });
    expect(getActionAvailability('promote', waiting).applicable).toBe(true);
    expect(getActionAvailability('pause', waiting)).toMatchObject({
      applicable: false,
      reason:
        'Every traffic step is done and the canary waits for promotion; nothing is left to pause. Promote or roll back.',
    });
  });

  it('explains that promote needs the analysis to run', () => {
    const availability = getActionAvailability(
      'promote',
      context({ phase: 'Succeeded' }),
    );
    expect(availability.applicable).toBe(false);
    expect(availability.reason).toBe(
      'Only possible while the analysis runs (Progressing or WaitingPromotion); the canary is Succeeded.',
    );
  });

  it('says when an action takes effect', () => {
    expect(getActionAvailability('promote', context()).effect).toBe(
      'Takes effect when Flagger next calls its confirm-promotion webhook, at the next analysis tick (within 10s).',
    );
  });

  it('refuses an action whose gate does not point at the portal', () => {
    const availability = getActionAvailability(
      'promote',
      context({
        webhooks: [
          { ...portalHook('confirm-promotion'), servedByPortal: false },
        ],
      }),
    );
    expect(availability.applicable).toBe(false);
    expect(availability.reason).toContain(
      'no confirm-promotion webhook pointing at this portal',
    );
  });

  it('allows approve-rollout only while Waiting', () => {
    expect(
      getActionAvailability('approve-rollout', context({ phase: 'Waiting' }))
        .applicable,
    ).toBe(true);
    expect(getActionAvailability('approve-rollout', context()).applicable).toBe(
      false,
    );
  });

  it('pauses only the canary strategy and resumes only what is paused', () => {
    expect(
      getActionAvailability('pause', context({ strategy: 'blue-green' }))
        .applicable,
    ).toBe(false);
    expect(getActionAvailability('resume', context()).reason).toBe(
      'Nothing to resume: traffic increases are not paused.',
    );
    const paused = context({ paused: true });
    expect(getActionAvailability('pause', paused).applicable).toBe(false);
    expect(getActionAvailability('resume', paused).applicable).toBe(true);
  });

  it('keeps a decided revision from getting the opposite decision', () => {
    const decided = context({ decided: 'promote' });
    expect(getActionAvailability('rollback', decided)).toMatchObject({
      applicable: false,
      reason: 'This revision is already decided: promotion was approved.',
    });
    expect(getActionAvailability('promote', decided).applicable).toBe(true);
  });

  it('gives one availability per action', () => {
    expect(getAllActionAvailability(context()).map(a => a.action)).toEqual([
      'approve-rollout',
      'promote',
      'pause',
      'resume',
      'rollback',
    ]);
  });
});
