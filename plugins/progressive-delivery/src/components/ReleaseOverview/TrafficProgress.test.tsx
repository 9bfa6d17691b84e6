import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import {
  createBlueGreenSummary,
  createCanarySummary,
  createFailedSummary,
  createSucceededSummary,
} from '../../testing';
import { describeTraffic, TrafficProgress } from './TrafficProgress';

describe('TrafficProgress', () => {
  it('shows the split of a weighted canary as a labelled bar', async () => {
    const summary = createCanarySummary();
    await renderInTestApp(<TrafficProgress summary={summary} />);
    const bar = screen.getByRole('progressbar', {
      name: 'Share of traffic on the canary',
    });
    expect(bar).toHaveAttribute(
      'aria-valuenow',
      String(summary.traffic.canaryWeight),
    );
    expect(bar).toHaveAttribute(
      'aria-valuetext',
      `Canary ${summary.traffic.canaryWeight}% · Primary ${
        100 - summary.traffic.canaryWeight!
      }%, Step ${summary.traffic.currentStep} of ${
        summary.traffic.totalSteps
      }, promotes after ${summary.traffic.maxWeight}%`,
    );
  });

  it('shows iterations for blue-green, where users stay on the primary', async () => {
    await renderInTestApp(
      <TrafficProgress summary={createBlueGreenSummary({ mirroring: true })} />,
    );
    expect(
      screen.getByText(
        'Testing the new version with mirrored traffic; users stay on the primary',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', { name: 'Analysis progress' }),
    ).toBeInTheDocument();
  });

  it('puts all traffic on the primary once the release is over, naming where a failed one stopped', async () => {
    const failed = createFailedSummary();
    expect(failed.rollback?.reachedStep).toBeGreaterThan(0);
    expect(describeTraffic(failed)).toEqual({
      label: 'All traffic on the primary',
      // Flagger reset the status; the rollback report says how far the run got.
      detail: `Reached step ${failed.rollback?.reachedStep} of ${failed.rollback?.totalSteps} (${failed.rollback?.reachedWeight}% of traffic)`,
    });
    await renderInTestApp(
      <TrafficProgress summary={createSucceededSummary()} />,
    );
    expect(screen.getByText('All traffic on the primary')).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });
});
