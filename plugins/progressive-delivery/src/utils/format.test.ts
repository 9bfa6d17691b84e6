import { createWaitingPromotionSummary } from '../testing';
import {
  formatMetricValue,
  formatThreshold,
  humanDuration,
  relativeTime,
  splitImageDifference,
  waitingForText,
} from './format';

describe('format', () => {
  it('splits image references at a path or tag boundary', () => {
    expect(
      splitImageDifference(
        'ghcr.io/stefanprodan/podinfo:6.7.0',
        'ghcr.io/stefanprodan/podinfo:6.7.1',
      ),
    ).toEqual({
      common: 'ghcr.io/stefanprodan/podinfo:',
      from: '6.7.0',
      to: '6.7.1',
    });
    expect(
      splitImageDifference('registry/a/app:1', 'registry/b/app:1'),
    ).toEqual({
      common: 'registry/',
      from: 'a/app:1',
      to: 'b/app:1',
    });
    expect(
      splitImageDifference('app@sha256:aaa', 'app@sha256:bbb').common,
    ).toBe('app@sha256:');
    expect(splitImageDifference('same:1', 'same:1')).toEqual({
      common: 'same:1',
      from: '',
      to: '',
    });
  });

  it('says "just now" for the last few seconds and for clocks slightly ahead', () => {
    const secondsAgo = (seconds: number) =>
      new Date(Date.now() - seconds * 1000).toISOString();
    expect(relativeTime(secondsAgo(0))).toBe('just now');
    expect(relativeTime(secondsAgo(-3))).toBe('just now');
    expect(relativeTime(secondsAgo(90))).toBe('1 minute ago');
    expect(relativeTime('not a date')).toBeUndefined();
  });

  it('says who a canary waits for', () => {
    expect(waitingForText(createWaitingPromotionSummary())).toBe(
      'Waiting for you: promotion approval',
    );
    const external = createWaitingPromotionSummary({
      webhooks: createWaitingPromotionSummary().webhooks.map(hook =>
        hook.type === 'confirm-promotion'
          ? { ...hook, name: 'change-board', servedByPortal: false }
          : hook,
      ),
    });
    expect(waitingForText(external)).toBe(
      'Waiting for an external gate (change-board): promotion approval',
    );
  });

  it('formats metric values, thresholds and durations', () => {
    expect(formatMetricValue(99.5, 'percent')).toBe('99.50%');
    expect(formatMetricValue(512.4, 'milliseconds')).toBe('512 ms');
    expect(formatMetricValue(undefined, 'none')).toBe('–');
    expect(formatThreshold({ min: 99 }, 'percent')).toBe('≥ 99.00%');
    expect(formatThreshold({ max: 500 }, 'milliseconds')).toBe('≤ 500 ms');
    expect(formatThreshold({ min: 1, max: 5 }, 'none')).toBe(
      'between 1.00 and 5.00',
    );
    expect(humanDuration(30)).toBe('under a minute');
    expect(humanDuration(240)).toBe('4 min');
    expect(humanDuration(3900)).toBe('1 h 5 min');
  });
});
