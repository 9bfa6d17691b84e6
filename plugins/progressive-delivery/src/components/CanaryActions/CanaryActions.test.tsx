import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { ResponseError } from '@backstage/errors';
import {
  CanaryAction,
  CanarySummary,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../../api';
import {
  availabilityFor,
  createCanarySummary,
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
        error: { name: status === 409 ? 'ConflictError' : 'NotAllowedError', message },
        request: { method: 'POST', url: '/actions' },
        response: { statusCode: status },
      }),
      { status, headers: { 'Content-Type': 'application/json' } },
    ) as any,
  );
}

function renderActions(
  summary: CanarySummary,
  options: { api?: FakeProgressiveDeliveryApi; deny?: string[]; entityRef?: string } = {},
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
  { action: 'promote', label: 'Promote', summary: waitingPromotion, says: /copies the canary \(ghcr.io\/stefanprodan\/podinfo:6.7.1\) to the primary/, gate: 'confirm-promotion' },
  { action: 'rollback', label: 'Roll back', summary: waitingPromotion, says: /sends all traffic back to the primary \(ghcr.io\/stefanprodan\/podinfo:6.7.0\)/, gate: 'rollback' },
  { action: 'pause', label: 'Pause', summary: () => createCanarySummary(), says: /holds the canary at its current traffic weight \(30%\)/, gate: 'confirm-traffic-increase' },
  { action: 'resume', label: 'Resume', summary: paused, says: /continues to increase the canary traffic/, gate: 'confirm-traffic-increase' },
  { action: 'approve-rollout', label: 'Approve rollout', summary: waitingRollout, says: /starts the analysis of the new revision/, gate: 'confirm-rollout' },
];

describe('CanaryActions', () => {
  it.each(DIALOGS)('$label: the dialog says what happens and when, and sends the comment', async ({ action, label, summary, says, gate }) => {
    const { api } = renderActions(summary());
    await userEvent.click(await screen.findByRole('button', { name: label }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveAccessibleName(expect.stringMatching(new RegExp(`^${label} demo/hello-\\w+ in dev\\?$`)));
    expect(within(dialog).getByText(says)).toBeInTheDocument();
    expect(within(dialog).getByText(new RegExp(`next calls its ${gate} webhook, at the next analysis tick \\(within 30s\\)`))).toBeInTheDocument();
    await userEvent.setup({ delay: null }).type(
      within(dialog).getByLabelText(/Comment/),
      'Approved in the release call',
    );
    await userEvent.click(within(dialog).getByRole('button', { name: label }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(api.calls.act).toEqual([
      {
        ref: summary().ref,
        action,
        options: { entityRef: ENTITY, comment: 'Approved in the release call' },
      },
    ]);
    expect(screen.getByText(`${label} recorded. Waiting for Flagger…`)).toBeInTheDocument();
  });

  it('keeps showing the wait until the summary shows the decision applied', async () => {
    const before = waitingPromotion();
    const { wrap, rendered } = renderActions(before);
    const { rerender } = await rendered;
    await userEvent.click(await screen.findByRole('button', { name: 'Promote' }));
    await userEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Promote' }));
    expect(await screen.findByText('Promote recorded. Waiting for Flagger…')).toBeInTheDocument();
    // While waiting, the other buttons say why they are held.
    expect(screen.getByRole('button', { name: 'Roll back' })).toHaveAccessibleDescription(
      'Waiting for Flagger to apply the previous decision.',
    );
    rerender(wrap({ ...before, pendingDecision: { action: 'promote', revision: '7c9f5d6b84', decidedBy: 'user:default/guest', decidedAt: new Date().toISOString() } }));
    expect(screen.getByText('Promote recorded. Waiting for Flagger…')).toBeInTheDocument();
    const promoting = createWaitingPromotionSummary({
      phase: 'Promoting',
      rawPhase: 'Promoting',
      state: { kind: 'promoting', tone: 'progress', headline: 'Promoting: copying the canary spec to the primary' },
    });
    rerender(wrap(promoting));
    expect(
      await screen.findByText('Promote: Flagger applied it. Promoting: copying the canary spec to the primary.'),
    ).toBeInTheDocument();
    expect(screen.queryByText(/Waiting for Flagger/)).not.toBeInTheDocument();
  });

  it('shows a conflict from the backend in the dialog and keeps it open', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.actAnswer = await responseError(409, 'This revision is already decided: rollback was approved.');
    renderActions(waitingPromotion(), { api });
    await userEvent.click(await screen.findByRole('button', { name: 'Promote' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Promote' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('The canary changed, so this action no longer applies');
    expect(alert).toHaveTextContent('This revision is already decided: rollback was approved.');
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    expect(screen.queryByText(/Waiting for Flagger/)).not.toBeInTheDocument();
  });

  it('shows a 403 from the backend plainly', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.actAnswer = await responseError(403, 'user:default/guest may not progressive-delivery.canary.rollback component:default/hello-gated');
    renderActions(waitingPromotion(), { api });
    await userEvent.click(await screen.findByRole('button', { name: 'Roll back' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Roll back' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('You are not allowed to do this');
  });

  it('disables an action without permission, with the reason for screen readers, and opens no dialog', async () => {
    // usePermission caches answers per permission and resource across renders, so use an entity of its own.
    renderActions(waitingPromotion(), {
      deny: ['progressive-delivery.canary.promote'],
      entityRef: 'component:default/denied-service',
    });
    const promote = await screen.findByRole('button', { name: 'Promote' });
    await waitFor(() => expect(promote).toHaveAccessibleDescription(/You do not have permission to promote this canary/));
    expect(promote).toHaveAttribute('aria-disabled', 'true');
    await userEvent.click(promote);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    // Roll back is allowed and possible.
    expect(screen.getByRole('button', { name: 'Roll back' })).toHaveAttribute('aria-disabled', 'false');
  });

  it('disables actions the phase does not allow, with the reason from the backend', async () => {
    renderActions(createSucceededSummary());
    const rollback = await screen.findByRole('button', { name: 'Roll back' });
    await waitFor(() =>
      expect(rollback).toHaveAccessibleDescription(
        'Only possible while the analysis runs (Progressing or WaitingPromotion); the canary is Succeeded.',
      ),
    );
    expect(rollback).toHaveAttribute('aria-disabled', 'true');
    await userEvent.hover(rollback.parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(/the canary is Succeeded/);
  });

  it('shows Resume instead of Pause while paused, and Approve rollout only while a rollout waits', async () => {
    renderActions(paused());
    expect(await screen.findByRole('button', { name: 'Resume' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Pause' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve rollout' })).not.toBeInTheDocument();
  });
});
