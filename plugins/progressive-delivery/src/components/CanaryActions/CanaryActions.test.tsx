import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { ResponseError } from '@backstage/errors';
import {
  CanaryAction,
  CanarySummary,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../../api';
import {
  availabilityFor,
  createBlueGreenSummary,
  createCanarySummary,
  createFailedSummary,
  createSucceededSummary,
  createWaitingPromotionSummary,
  FakeProgressiveDeliveryApi,
} from '../../testing';
import { CanaryActions } from './CanaryActions';

const ENTITY = 'component:default/hello-gated';

// AuthorizeResult's values; the enum lives in plugin-permission-common, which this package does not depend on.
const decide = (allow: boolean) =>
  allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY;

async function responseError(status: number, message: string) {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: {
          name: status === 409 ? 'ConflictError' : 'NotAllowedError',
          message,
        },
        request: { method: 'POST', url: '/actions' },
        response: { statusCode: status },
      }),
      { status, headers: { 'Content-Type': 'application/json' } },
    ) as any,
  );
}

function renderActions(
  summary: CanarySummary,
  options: {
    api?: FakeProgressiveDeliveryApi;
    deny?: string[];
    entityRef?: string;
  } = {},
) {
  const api = options.api ?? new FakeProgressiveDeliveryApi();
  const permissionApi = mockApis.permission({
    authorize: request =>
      decide(!options.deny?.includes(request.permission.name)),
  });
  const wrap = (s: CanarySummary) => (
    <TestApiProvider
      apis={[
        [progressiveDeliveryApiRef, api],
        [permissionApiRef, permissionApi],
      ]}
    >
      <CanaryActions summary={s} entityRef={options.entityRef ?? ENTITY} />
    </TestApiProvider>
  );
  return { api, wrap, rendered: renderInTestApp(wrap(summary)) };
}

const waitingPromotion = () => createWaitingPromotionSummary();
const paused = () => {
  const summary = createCanarySummary({
    state: {
      kind: 'waiting-traffic-approval',
      tone: 'waiting',
      headline: 'Paused at 30% by the portal',
      waitingFor: 'confirm-traffic-increase',
    },
  });
  return { ...summary, actions: availabilityFor(summary, { paused: true }) };
};
const waitingRollout = () => {
  const summary = createCanarySummary({
    phase: 'Waiting',
    rawPhase: 'Waiting',
    state: {
      kind: 'waiting-rollout-approval',
      tone: 'waiting',
      headline: 'Waiting for approval to start the rollout',
      waitingFor: 'confirm-rollout',
    },
  });
  return { ...summary, actions: availabilityFor(summary) };
};

const DIALOGS: Array<{
  action: CanaryAction;
  label: string;
  summary: () => CanarySummary;
  says: RegExp;
  gate: string;
}> = [
  {
    action: 'promote',
    label: 'Promote',
    summary: waitingPromotion,
    says: /copies the canary \(registry.sandbox.local\/tap-apps\/hello-gated:v2\) to the primary/,
    gate: 'confirm-promotion',
  },
  {
    action: 'rollback',
    label: 'Roll back',
    summary: waitingPromotion,
    says: /sends all traffic back to the primary \(registry.sandbox.local\/tap-apps\/hello-gated:v1\)/,
    gate: 'rollback',
  },
  {
    action: 'pause',
    label: 'Pause',
    summary: () => createCanarySummary(),
    says: /holds the canary at its current traffic weight \(40%\)/,
    gate: 'confirm-traffic-increase',
  },
  {
    action: 'resume',
    label: 'Resume',
    summary: paused,
    says: /continues to increase the canary traffic/,
    gate: 'confirm-traffic-increase',
  },
  {
    action: 'approve-rollout',
    label: 'Approve rollout',
    summary: waitingRollout,
    says: /starts the analysis of the new revision/,
    gate: 'confirm-rollout',
  },
];

describe('CanaryActions', () => {
  it.each(DIALOGS)(
    '$label: the dialog says what happens and when, and sends the comment',
    async ({ action, label, summary, says, gate }) => {
      const { api } = renderActions(summary());
      await userEvent.click(await screen.findByRole('button', { name: label }));
      const dialog = await screen.findByRole('dialog');
      expect(dialog).toHaveAccessibleName(
        expect.stringMatching(
          new RegExp(`^${label} tap-apps/hello-\\w+ in dev\\?$`),
        ),
      );
      expect(within(dialog).getByText(says)).toBeInTheDocument();
      expect(
        within(dialog).getByText(
          new RegExp(
            `next calls its ${gate} webhook, at the next analysis tick \\(within 10s\\)`,
          ),
        ),
      ).toBeInTheDocument();
      await userEvent
        .setup({ delay: null })
        .type(
          within(dialog).getByLabelText(/Comment/),
          'Approved in the release call',
        );
      await userEvent.click(
        within(dialog).getByRole('button', { name: label }),
      );
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      expect(api.calls.act).toEqual([
        {
          ref: summary().ref,
          action,
          options: {
            entityRef: ENTITY,
            comment: 'Approved in the release call',
          },
        },
      ]);
      expect(
        screen.getByText(`${label} recorded. Waiting for Flagger…`),
      ).toBeInTheDocument();
    },
  );

  it('keeps showing the wait until the summary shows the decision applied', async () => {
    const before = waitingPromotion();
    const { wrap, rendered } = renderActions(before);
    const { rerender } = await rendered;
    await userEvent.click(
      await screen.findByRole('button', { name: 'Promote' }),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Promote',
      }),
    );
    const status = await screen.findByText(
      'Promote recorded. Waiting for Flagger…',
      { exact: false },
    );
    // The keyboard focus follows the news, since the dialog's button is gone.
    expect(status).toHaveFocus();
    // While waiting, the other buttons say why they are held: the line above.
    const rollback = screen.getByRole('button', { name: 'Roll back' });
    expect(rollback).toHaveAttribute('aria-disabled', 'true');
    expect(rollback).toHaveAccessibleDescription(
      /^Promote recorded. Waiting for Flagger…/,
    );
    rerender(
      wrap({
        ...before,
        pendingDecision: {
          action: 'promote',
          revision: '7c9f5d6b84',
          decidedBy: 'user:default/guest',
          decidedAt: new Date().toISOString(),
        },
      }),
    );
    expect(
      screen.getByText(/Promote recorded. Waiting for Flagger…/),
    ).toBeInTheDocument();
    const promoting = createWaitingPromotionSummary({
      phase: 'Promoting',
      rawPhase: 'Promoting',
      state: {
        kind: 'promoting',
        tone: 'progress',
        headline: 'Promoting: copying the canary spec to the primary',
      },
    });
    rerender(wrap(promoting));
    expect(
      await screen.findByText(
        'Promote: Flagger applied it. Promoting: copying the canary spec to the primary.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText(/Waiting for Flagger/)).not.toBeInTheDocument();
  });

  it('shows a conflict from the backend in the dialog and keeps it open', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.actAnswer = await responseError(
      409,
      'This revision is already decided: rollback was approved.',
    );
    renderActions(waitingPromotion(), { api });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Promote' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Promote' }),
    );
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent(
      'The canary changed, so this action no longer applies',
    );
    expect(alert).toHaveTextContent(
      'This revision is already decided: rollback was approved.',
    );
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    expect(screen.queryByText(/Waiting for Flagger/)).not.toBeInTheDocument();
  });

  it('shows a 403 from the backend plainly', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.actAnswer = await responseError(
      403,
      'user:default/guest may not progressive-delivery.canary.rollback component:default/hello-gated',
    );
    renderActions(waitingPromotion(), { api });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Roll back' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Roll back' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'You are not allowed to do this',
    );
  });

  it('says a missing permission once for the row, and holds the buttons it concerns', async () => {
    // usePermission caches answers per permission and resource across renders, so use an entity of its own.
    renderActions(waitingPromotion(), {
      deny: [
        'progressive-delivery.canary.promote',
        'progressive-delivery.canary.rollback',
      ],
      entityRef: 'component:default/denied-service',
    });
    const sentence =
      'You do not have permission to promote or roll back this release (progressive-delivery.canary.promote, progressive-delivery.canary.rollback); its owners can.';
    expect(await screen.findByText(sentence)).toBeInTheDocument();
    expect(screen.getAllByText(/You do not have permission/)).toHaveLength(1);
    for (const name of ['Promote', 'Roll back']) {
      const button = screen.getByRole('button', { name });
      expect(button).toHaveAttribute('aria-disabled', 'true');
      expect(button).toHaveAccessibleDescription(sentence);
      await userEvent.click(button);
    }
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('says "steer" when no action is allowed', async () => {
    renderActions(createSucceededSummary(), {
      deny: [
        'progressive-delivery.canary.promote',
        'progressive-delivery.canary.rollback',
        'progressive-delivery.canary.pause',
        'progressive-delivery.canary.approve-rollout',
      ],
      entityRef: 'component:default/another-team',
    });
    expect(
      await screen.findByText(
        /^You do not have permission to steer this release \(progressive-delivery.canary.approve-rollout, /,
      ),
    ).toBeInTheDocument();
  });

  it('offers no buttons for a finished release, and explains every action in one menu', async () => {
    renderActions(createSucceededSummary());
    expect(
      await screen.findByText('Nothing to decide now.'),
    ).toBeInTheDocument();
    const group = screen.getByRole('group', {
      name: 'Actions for hello-gated in dev',
    });
    expect(within(group).getAllByRole('button')).toHaveLength(1);
    const more = within(group).getByRole('button', {
      name: 'Other actions for hello-gated in dev, not possible now',
    });
    await userEvent.click(more);
    const menu = await screen.findByRole('menu');
    const items = within(menu).getAllByRole('menuitem');
    expect(items.map(item => item.textContent)).toEqual([
      'Approve rollout: not possible nowOnly possible while a new revision waits for approval to start (Waiting); the canary is Succeeded.',
      'Promote: not possible nowOnly possible while the analysis runs (Progressing or WaitingPromotion); the canary is Succeeded.',
      'Pause: not possible nowOnly possible while the analysis runs (Progressing or WaitingPromotion); the canary is Succeeded.',
      'Roll back: not possible nowOnly possible while the analysis runs (Progressing or WaitingPromotion); the canary is Succeeded.',
    ]);
    items.forEach(item =>
      expect(item).toHaveAttribute('aria-disabled', 'true'),
    );
    // Selecting an explanation starts nothing.
    await userEvent.click(items[1]);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    await userEvent.keyboard('{Escape}');
    await waitFor(() =>
      expect(screen.queryByRole('menu')).not.toBeInTheDocument(),
    );
    expect(more).toHaveFocus();
  });

  it('says once for the row why steering is off when the canary does not name the entity', async () => {
    const reason =
      'Steering through component:default/payments-gated is off: canary tap-apps/hello-gated in cluster prod does not name this entity. Add the label backstage.io/kubernetes-id: payments-gated to the Canary or its Deployment hello-gated.';
    const summary = createWaitingPromotionSummary();
    renderActions({
      ...summary,
      actions: summary.actions.map(a => ({
        ...a,
        applicable: false,
        reason,
        steeringOff: 'binding' as const,
      })),
    });
    expect(await screen.findAllByText(reason)).toHaveLength(1);
    expect(
      screen.queryByText('Nothing to decide now.'),
    ).not.toBeInTheDocument();
    const group = screen.getByRole('group', { name: /^Actions for / });
    expect(
      within(group).queryByRole('button', { name: 'Promote' }),
    ).not.toBeInTheDocument();
  });

  it('makes buttons of what applies now and puts the rest in the menu', async () => {
    renderActions(waitingPromotion());
    const group = await screen.findByRole('group', {
      name: 'Actions for hello-gated in dev',
    });
    expect(
      within(group)
        .getAllByRole('button')
        .map(b => b.textContent || b.getAttribute('aria-label')),
    ).toEqual([
      'Promote',
      'Roll back',
      'Other actions for hello-gated in dev, not possible now',
    ]);
    await userEvent.click(
      within(group).getByRole('button', { name: /Other actions/ }),
    );
    const items = within(await screen.findByRole('menu')).getAllByRole(
      'menuitem',
    );
    expect(items.map(item => item.textContent)).toEqual([
      expect.stringMatching(/^Approve rollout: not possible now/),
      expect.stringMatching(
        /^Pause: not possible nowEvery traffic step is done/,
      ),
    ]);
  });

  it('leaves Pause and Resume out for blue-green, where they never apply', async () => {
    renderActions(
      createBlueGreenSummary({ webhooks: createCanarySummary().webhooks }),
    );
    const group = await screen.findByRole('group', {
      name: 'Actions for hello-bluegreen in dev',
    });
    expect(
      within(group).getByRole('button', { name: 'Promote' }),
    ).toBeInTheDocument();
    expect(
      within(group).getByRole('button', { name: 'Roll back' }),
    ).toBeInTheDocument();
    await userEvent.click(
      within(group).getByRole('button', { name: /Other actions/ }),
    );
    const items = within(await screen.findByRole('menu')).getAllByRole(
      'menuitem',
    );
    expect(items.map(item => item.textContent)).toEqual([
      expect.stringMatching(/^Approve rollout/),
    ]);
  });

  it('shows Resume instead of Pause while paused, and Approve rollout only in the menu', async () => {
    renderActions(paused());
    expect(
      await screen.findByRole('button', { name: 'Resume' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Pause' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Approve rollout' }),
    ).not.toBeInTheDocument();
  });

  it('can be used with the keyboard alone: Tab, Enter, Escape, and the dialog keeps the focus', async () => {
    const user = userEvent.setup({ delay: null });
    const { api } = renderActions(waitingPromotion());
    await screen.findByRole('button', { name: 'Promote' });
    await user.tab();
    expect(screen.getByRole('button', { name: 'Promote' })).toHaveFocus();
    await user.keyboard('{Enter}');
    const dialog = await screen.findByRole('dialog');
    await waitFor(() =>
      expect(dialog.contains(document.activeElement)).toBe(true),
    );
    // Escape closes it and gives the focus back.
    await user.keyboard('{Escape}');
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(screen.getByRole('button', { name: 'Promote' })).toHaveFocus();

    await user.tab();
    expect(screen.getByRole('button', { name: 'Roll back' })).toHaveFocus();
    await user.keyboard('{Enter}');
    const rollback = await screen.findByRole('dialog');
    await waitFor(() =>
      expect(rollback.contains(document.activeElement)).toBe(true),
    );
    // Tab cycles within the dialog (MUI's trap passes its own container on the way round).
    const modal = rollback.closest('.MuiDialog-root')!;
    const visited = new Set<Element | null>();
    for (let i = 0; i < 8; i++) {
      await user.tab();
      expect(modal.contains(document.activeElement)).toBe(true);
      visited.add(document.activeElement);
    }
    expect(visited).toContain(
      within(rollback).getByRole('button', { name: 'Cancel' }),
    );
    await waitFor(() =>
      expect(within(rollback).getByLabelText(/Comment/)).toBeInTheDocument(),
    );
    within(rollback)
      .getByLabelText(/Comment/)
      .focus();
    await user.keyboard('Bad numbers');
    await user.tab();
    expect(
      within(rollback).getByRole('button', { name: 'Cancel' }),
    ).toHaveFocus();
    await user.tab();
    expect(
      within(rollback).getByRole('button', { name: 'Roll back' }),
    ).toHaveFocus();
    await user.keyboard('{Enter}');
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(api.calls.act).toEqual([
      {
        ref: waitingPromotion().ref,
        action: 'rollback',
        options: { entityRef: ENTITY, comment: 'Bad numbers' },
      },
    ]);
  });

  it('keeps the focus where a fast keyboard user moved it when the dialog finishes opening', async () => {
    const { api } = renderActions(waitingPromotion());
    const promote = await screen.findByRole('button', { name: 'Promote' });
    await waitFor(() =>
      expect(promote).not.toHaveAttribute('aria-disabled', 'true'),
    );
    // From here the test decides when the dialog's fade-in ends.
    jest.useFakeTimers();
    try {
      const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
      promote.focus();
      await user.keyboard('{Enter}');
      const dialog = await screen.findByRole('dialog');
      // Into the comment and on to the button before the fade-in (225 ms) has ended.
      within(dialog)
        .getByLabelText(/Comment/)
        .focus();
      await user.keyboard('Go');
      const confirm = within(dialog).getByRole('button', { name: 'Promote' });
      confirm.focus();
      act(() => {
        jest.advanceTimersByTime(1000);
      });
      expect(confirm).toHaveFocus();
      await user.keyboard('{Enter}');
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      expect(api.calls.act).toEqual([
        {
          ref: waitingPromotion().ref,
          action: 'promote',
          options: { entityRef: ENTITY, comment: 'Go' },
        },
      ]);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('the confirmation line', () => {
  const promoting = () =>
    createWaitingPromotionSummary({
      phase: 'Promoting',
      rawPhase: 'Promoting',
      state: {
        kind: 'promoting',
        tone: 'progress',
        headline: 'Promoting: copying the canary spec to the primary',
      },
    });

  async function promoteThen(...states: CanarySummary[]) {
    const { wrap, rendered } = renderActions(waitingPromotion());
    const { rerender } = await rendered;
    await userEvent.click(
      await screen.findByRole('button', { name: 'Promote' }),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Promote',
      }),
    );
    await screen.findByText(/Promote recorded/);
    for (const state of states) {
      rerender(wrap(state));
    }
    return { rerender: (summary: CanarySummary) => rerender(wrap(summary)) };
  }

  it('disappears once the release moved past it, and the row says what happened', async () => {
    const { rerender } = await promoteThen(promoting());
    expect(
      screen.getByText(
        'Promote: Flagger applied it. Promoting: copying the canary spec to the primary.',
      ),
    ).toBeInTheDocument();
    rerender(createSucceededSummary({ ref: waitingPromotion().ref }));
    expect(screen.queryByText(/Flagger applied it/)).not.toBeInTheDocument();
    expect(
      screen.getByText(
        'You promoted this release just now; Flagger promoted it and all traffic is on the new version.',
      ),
    ).toHaveAttribute('role', 'status');
  });

  it('gives way entirely to the next revision', async () => {
    const { rerender } = await promoteThen(
      promoting(),
      createSucceededSummary({ ref: waitingPromotion().ref }),
    );
    expect(screen.getByText(/You promoted this release/)).toBeInTheDocument();
    rerender(
      createCanarySummary({
        ref: waitingPromotion().ref,
        revision: '9e1d2c3b4a',
      }),
    );
    expect(
      screen.queryByText(/You promoted this release/),
    ).not.toBeInTheDocument();
    expect(screen.queryByText(/Flagger applied it/)).not.toBeInTheDocument();
  });

  it('gives way once a new rollout waits to start, before Flagger writes its revision', async () => {
    const { rerender } = await promoteThen(
      promoting(),
      createSucceededSummary({ ref: waitingPromotion().ref }),
    );
    expect(screen.getByText(/You promoted this release/)).toBeInTheDocument();
    rerender(
      createCanarySummary({
        ref: waitingPromotion().ref,
        phase: 'Waiting',
        rawPhase: 'Waiting',
        state: {
          kind: 'waiting-rollout-approval',
          tone: 'waiting',
          headline: 'Waiting for approval to start the rollout',
        },
      }),
    );
    expect(
      screen.queryByText(/You promoted this release/),
    ).not.toBeInTheDocument();
  });

  it('does not outlive an approved start once the release waits for promotion', async () => {
    const { wrap, rendered } = renderActions(waitingRollout());
    const { rerender } = await rendered;
    await userEvent.click(
      await screen.findByRole('button', { name: 'Approve rollout' }),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Approve rollout',
      }),
    );
    await screen.findByText(/Approve rollout recorded/);
    // Flagger starts the rollout: a new phase and (written only now) the new revision.
    rerender(
      wrap(
        createCanarySummary({
          ref: waitingRollout().ref,
          revision: 'b2c3d4e5f6',
        }),
      ),
    );
    expect(
      screen.getByText(
        'Approve rollout: Flagger applied it. Analysis in progress.',
      ),
    ).toBeInTheDocument();
    rerender(
      wrap(
        createWaitingPromotionSummary({
          ref: waitingRollout().ref,
          revision: 'b2c3d4e5f6',
        }),
      ),
    );
    expect(screen.queryByText(/Flagger applied it/)).not.toBeInTheDocument();
    expect(
      screen.getByText(
        'You approved this rollout just now. Since then: Waiting for promotion approval.',
      ),
    ).toBeInTheDocument();
  });

  it('gives way when the release waits for promotion while Flagger still reports it Progressing', async () => {
    const { wrap, rendered } = renderActions(waitingRollout());
    const { rerender } = await rendered;
    await userEvent.click(
      await screen.findByRole('button', { name: 'Approve rollout' }),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Approve rollout',
      }),
    );
    await screen.findByText(/Approve rollout recorded/);
    const progressing = createCanarySummary({
      ref: waitingRollout().ref,
      revision: 'b2c3d4e5f6',
      state: {
        kind: 'progressing',
        tone: 'progress',
        headline: 'Analysis in progress',
      },
    });
    rerender(wrap(progressing));
    expect(
      screen.getByText(
        'Approve rollout: Flagger applied it. Analysis in progress.',
      ),
    ).toBeInTheDocument();
    // Same phase and revision, but the promotion gate now waits for a person.
    rerender(
      wrap({
        ...progressing,
        state: {
          kind: 'waiting-promotion-approval',
          tone: 'waiting',
          headline: 'Waiting for promotion approval',
          waitingFor: 'confirm-promotion',
        },
      }),
    );
    expect(screen.queryByText(/Flagger applied it/)).not.toBeInTheDocument();
    expect(screen.queryByText(/Analysis in progress/)).not.toBeInTheDocument();
  });

  it('says when Flagger rolled back a release after its promotion was approved', async () => {
    await promoteThen(
      createWaitingPromotionSummary({
        phase: 'Progressing',
        rawPhase: 'Progressing',
      }),
      createFailedSummary({
        ref: waitingPromotion().ref,
        revision: waitingPromotion().revision,
      }),
    );
    expect(screen.queryByText(/Flagger applied it/)).not.toBeInTheDocument();
    expect(
      screen.getByText(
        'You promoted this release just now; Flagger then rolled it back: Rolled back: request-success-rate 60.00% < 99%.',
      ),
    ).toBeInTheDocument();
  });
});
