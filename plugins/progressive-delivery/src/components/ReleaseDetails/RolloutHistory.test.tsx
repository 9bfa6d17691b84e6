import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { createRolloutRecord, minutesAgo } from '../../testing';
import { RolloutHistory } from './RolloutHistory';

describe('RolloutHistory', () => {
  it('shows each outcome as an icon with a word, images as name:tag with a copy button, newest first', async () => {
    await renderInTestApp(
      <RolloutHistory
        records={[
          createRolloutRecord({
            revision: 'a',
            outcome: 'superseded',
            startedAt: minutesAgo(300),
            images: ['ghcr.io/org/hello-gated:v6'],
          }),
          createRolloutRecord({
            revision: 'b',
            outcome: 'succeeded',
            startedAt: minutesAgo(120),
            endedAt: minutesAgo(111),
            images: [
              'ghcr.io/org/hello-gated:v7',
              'ghcr.io/org/sidecar@sha256:0123456789abcdef0123456789abcdef',
            ],
            decisions: [
              {
                action: 'promote',
                revision: 'b',
                decidedBy: 'user:default/ada.lovelace',
                decidedAt: minutesAgo(112),
                comment: 'Looks good',
                appliedAt: minutesAgo(111),
              },
            ],
          }),
          createRolloutRecord({
            revision: 'c',
            outcome: 'failed',
            startedAt: minutesAgo(30),
            failureReason: 'request-duration 812ms > 500ms',
          }),
        ]}
      />,
    );
    const table = screen.getByRole('table', {
      name: 'Rollout history, newest first',
    });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows.map(r => within(r).getAllByRole('cell')[0].textContent),
    ).toEqual(['Rolled back', 'Promoted', 'Superseded by a newer revision']);
    // The word is never cut: the outcome cell does not wrap.
    expect(
      getComputedStyle(within(rows[1]).getAllByRole('cell')[0]).whiteSpace,
    ).toBe('nowrap');
    expect(
      within(rows[0]).getAllByRole('cell')[0].querySelector('svg'),
    ).toHaveAttribute('aria-hidden', 'true');

    const images = within(rows[1]).getAllByRole('cell')[1];
    expect(images).toHaveTextContent(
      'hello-gated:v7sidecar@sha256:0123456789ab',
    );
    expect(
      images.querySelector('[title="ghcr.io/org/hello-gated:v7"]'),
    ).toHaveTextContent('hello-gated:v7');
    expect(
      within(images).getByRole('button', {
        name: 'Copy ghcr.io/org/sidecar@sha256:0123456789abcdef0123456789abcdef',
      }),
    ).toBeInTheDocument();

    expect(within(rows[1]).getAllByRole('cell')[2]).toHaveTextContent(
      /^2 hours agotook 9 min$/,
    );
    expect(within(rows[1]).getAllByRole('cell')[3]).toHaveTextContent(
      'Promote by ada.lovelace 1 hour ago: “Looks good”',
    );
    expect(within(rows[0]).getAllByRole('cell')[3]).toHaveTextContent(
      'request-duration 812ms > 500ms',
    );
    expect(within(rows[2]).getAllByRole('cell')[3]).toHaveTextContent('–');
  });

  it('says when nothing is recorded yet', async () => {
    await renderInTestApp(<RolloutHistory records={[]} />);
    expect(screen.getByText(/No rollouts recorded yet/)).toBeInTheDocument();
  });
});
