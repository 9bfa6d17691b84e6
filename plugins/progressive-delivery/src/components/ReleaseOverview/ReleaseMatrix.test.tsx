import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/test-utils';
import { CanarySummary } from '@progressive-delivery/plugin-progressive-delivery-common';
import {
  createCanarySummary,
  createFailedSummary,
  createSucceededSummary,
  createWaitingPromotionSummary,
} from '../../testing';
import { canaryRowId } from '../../utils/format';
import { ReleaseMatrix, stateCounts } from './ReleaseMatrix';

function inClusters(count: number): CanarySummary[] {
  return Array.from({ length: count }, (_, index) => {
    const ref = {
      cluster: `cluster-${String(index + 1).padStart(2, '0')}`,
      namespace: 'bench',
      name: 'podinfo',
    };
    if (index % 3 === 0) return createFailedSummary({ ref });
    if (index % 3 === 1) return createSucceededSummary({ ref });
    return createCanarySummary({ ref });
  });
}

describe('ReleaseMatrix', () => {
  it('shows canary by cluster, each state in words, linking to its row', async () => {
    const canaries = [
      createCanarySummary({
        ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-contour' },
      }),
      createFailedSummary({
        ref: { cluster: 'prod', namespace: 'tap-apps', name: 'hello-contour' },
      }),
      createWaitingPromotionSummary({
        ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
      }),
      createSucceededSummary({
        ref: { cluster: 'prod', namespace: 'tap-apps', name: 'hello-gated' },
      }),
      createSucceededSummary({
        ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-bluegreen' },
      }),
    ];
    await renderInTestApp(
      <ReleaseMatrix canaries={canaries} clusters={['dev', 'prod']} />,
    );
    const table = screen.getByRole('table', {
      name: '5 releases in 2 clusters',
    });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map(h => h.textContent),
    ).toEqual(['Canary', 'dev', 'prod']);
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map(r => within(r).getByRole('rowheader').textContent)).toEqual(
      [
        'tap-apps/hello-bluegreen',
        'tap-apps/hello-contour',
        'tap-apps/hello-gated',
      ],
    );
    expect(
      rows.map(r =>
        within(r)
          .getAllByRole('cell')
          .map(c => c.textContent),
      ),
    ).toEqual([
      ['Promoted', '–none'],
      ['Progressing, 40%', 'Rolled back'],
      ['Waits for promotion', 'Promoted'],
    ]);
    const link = within(rows[1]).getByRole('link', { name: 'Rolled back' });
    expect(link).toHaveAttribute('href', '#pd-row-prod-tap-apps-hello-contour');
    expect(link).toHaveAttribute(
      'title',
      'Rolled back: request-success-rate 60.00% < 99%',
    );
    expect(
      screen.getByText(
        '2 promoted, 1 progressing, 1 rolled back, 1 waits for promotion. Select a state to go to its release.',
      ),
    ).toBeInTheDocument();
  });

  it('moves the focus to the row a link names', async () => {
    const canaries = inClusters(5);
    await renderInTestApp(
      <>
        <ReleaseMatrix
          canaries={canaries}
          clusters={canaries.map(c => c.ref.cluster)}
        />
        {canaries.map(c => (
          <section
            key={c.ref.cluster}
            id={canaryRowId(c.ref)}
            tabIndex={-1}
            aria-label={`row ${c.ref.cluster}`}
          />
        ))}
      </>,
    );
    await userEvent.click(screen.getAllByRole('link', { name: 'Promoted' })[0]);
    expect(
      screen.getByRole('region', { name: 'row cluster-02' }),
    ).toHaveFocus();
  });

  it('lists many clusters as rows, so twenty clusters stay narrow', async () => {
    const canaries = inClusters(20);
    await renderInTestApp(
      <ReleaseMatrix
        canaries={canaries}
        clusters={canaries.map(c => c.ref.cluster)}
      />,
    );
    const table = screen.getByRole('table', {
      name: '20 releases in 20 clusters',
    });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map(h => h.textContent),
    ).toEqual(['Cluster', 'bench/podinfo']);
    expect(within(table).getAllByRole('row')).toHaveLength(21);
    expect(within(table).getAllByRole('rowheader')[19]).toHaveTextContent(
      'cluster-20',
    );
  });

  it('counts states in words, most common first', () => {
    expect(stateCounts(inClusters(7))).toBe(
      '3 rolled back, 2 promoted, 2 progressing',
    );
  });
});
