import { percentile, round } from './stats';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const samples = [15, 20, 35, 40, 50];
    expect(percentile(samples, 5)).toBe(15);
    expect(percentile(samples, 30)).toBe(20);
    expect(percentile(samples, 40)).toBe(20);
    expect(percentile(samples, 50)).toBe(35);
    expect(percentile(samples, 100)).toBe(50);
  });

  it('does not reorder the caller’s samples and is NaN without samples', () => {
    const samples = [3, 1, 2];
    expect(percentile(samples, 99)).toBe(3);
    expect(samples).toEqual([3, 1, 2]);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('round', () => {
  it('rounds to the given digits', () => {
    expect(round(12.3456, 2)).toBe(12.35);
    expect(round(12.3456)).toBe(12.3);
  });
});
