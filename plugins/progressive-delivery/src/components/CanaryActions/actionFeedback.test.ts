import { ActionResponse } from '@progressive-delivery/plugin-progressive-delivery-common';
import {
  createCanarySummary,
  createWaitingPromotionSummary,
} from '../../testing';
import { describeAction, isActionSeen, pendingFrom } from './actionFeedback';

const response = (action: ActionResponse['action']): ActionResponse => ({
  action,
  ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
  decision: {
    action,
    revision: '7c9f5d6b84',
    decidedBy: 'user:default/guest',
    decidedAt: '2026-11-23T10:00:00Z',
  },
  message: 'Recorded',
});

describe('action feedback', () => {
  it('waits until Flagger applied the decision or the phase moved on', () => {
    const before = createWaitingPromotionSummary();
    const pending = pendingFrom('promote', response('promote'), before);
    const recorded = {
      ...before,
      pendingDecision: { ...response('promote').decision },
    };
    expect(isActionSeen(pending, recorded)).toBe(false);
    expect(
      isActionSeen(pending, {
        ...recorded,
        pendingDecision: {
          ...recorded.pendingDecision,
          appliedAt: '2026-11-23T10:00:20Z',
        },
      }),
    ).toBe(true);
    expect(isActionSeen(pending, { ...before, phase: 'Promoting' })).toBe(true);
  });

  it('sees a pause when traffic is held and a resume when the weight moves', () => {
    const before = createCanarySummary();
    const pause = pendingFrom('pause', response('pause'), before);
    expect(isActionSeen(pause, before)).toBe(false);
    expect(
      isActionSeen(pause, {
        ...before,
        state: { ...before.state, kind: 'waiting-traffic-approval' },
      }),
    ).toBe(true);
    const held = {
      ...before,
      state: { ...before.state, kind: 'waiting-traffic-approval' as const },
    };
    const resume = pendingFrom('resume', response('resume'), held);
    expect(isActionSeen(resume, held)).toBe(false);
    expect(
      isActionSeen(resume, {
        ...held,
        traffic: { ...held.traffic, currentStep: 4 },
      }),
    ).toBe(true);
  });

  it('explains promotion differently before and after the analysis finished', () => {
    expect(describeAction('promote', createWaitingPromotionSummary())).toMatch(
      /copies the canary/,
    );
    expect(describeAction('promote', createCanarySummary())).toMatch(
      /in advance/,
    );
    expect(describeAction('rollback', createCanarySummary())).toMatch(
      /hello-contour:v1/,
    );
    expect(describeAction('pause', createCanarySummary())).toMatch(/\(40%\)/);
  });
});
