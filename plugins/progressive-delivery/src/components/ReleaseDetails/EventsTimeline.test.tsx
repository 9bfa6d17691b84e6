import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { CanaryEvent } from '@progressive-delivery/plugin-progressive-delivery-common';
import { minutesAgo } from '../../testing';
import { EventsTimeline } from './EventsTimeline';

const event = (overrides: Partial<CanaryEvent>): CanaryEvent => ({
  category: 'advance',
  type: 'Normal',
  message: 'Advance hello-contour.tap-apps canary weight 10',
  firstSeen: minutesAgo(5),
  lastSeen: minutesAgo(5),
  count: 1,
  ...overrides,
});

describe('EventsTimeline', () => {
  it('lists events newest first, each with its category in words, and says when a warning repeats', async () => {
    await renderInTestApp(
      <EventsTimeline
        events={[
          event({
            category: 'initialization',
            message: 'Starting canary analysis',
            lastSeen: minutesAgo(9),
            firstSeen: minutesAgo(9),
          }),
          event({
            category: 'halt',
            type: 'Warning',
            message: 'Halt advancement: canary not ready',
            firstSeen: minutesAgo(8),
            lastSeen: minutesAgo(1),
            count: 4,
          }),
          event({
            category: 'other',
            type: 'Warning',
            message: 'Something else',
            lastSeen: minutesAgo(3),
          }),
        ]}
      />,
    );
    const list = screen.getByRole('list', {
      name: 'Canary events, newest first',
    });
    const items = within(list).getAllByRole('listitem');
    expect(items.map(item => item.textContent)).toEqual([
      expect.stringMatching(
        /^HaltedHalt advancement: canary not readyWarning · .* · 4 times since /,
      ),
      expect.stringMatching(/^OtherSomething elseWarning · /),
      expect.stringMatching(/^StartedStarting canary analysis/),
    ]);
    expect(items[2].textContent).not.toMatch(/Warning|times since/);
    expect(
      screen.getByText(/older steps are in the rollout history/),
    ).toBeInTheDocument();
  });

  it('says where older steps are when Kubernetes no longer has events', async () => {
    await renderInTestApp(<EventsTimeline events={[]} />);
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
    expect(
      screen.getByText(
        'No events. Kubernetes keeps events for about an hour; older steps are in the rollout history.',
      ),
    ).toBeInTheDocument();
  });
});
