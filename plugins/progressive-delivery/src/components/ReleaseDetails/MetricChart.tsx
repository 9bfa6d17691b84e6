import { useTheme } from '@material-ui/core';
import { DateTime } from 'luxon';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { MetricSeries } from '@progressive-delivery/plugin-progressive-delivery-common';
import { formatMetricValue, formatThreshold } from '../../utils/format';

interface Row {
  t: number;
  canary?: number;
  primary?: number;
}

/** Canary and primary samples on one time axis. */
export function mergeSeries(series: MetricSeries): Row[] {
  const rows = new Map<number, Row>();
  const add = (
    key: 'canary' | 'primary',
    samples: MetricSeries['canary'] = [],
  ) => {
    for (const sample of samples) {
      const t = Date.parse(sample.at);
      if (Number.isNaN(t) || !Number.isFinite(sample.value)) {
        continue;
      }
      rows.set(t, { ...rows.get(t), t, [key]: sample.value });
    }
  };
  add('canary', series.canary);
  add('primary', series.primary);
  return Array.from(rows.values()).sort((a, b) => a.t - b.t);
}

/** The metric over the rollout, with the pass band shaded and its bounds drawn. */
export function MetricChart(props: { series: MetricSeries; height?: number }) {
  const { series } = props;
  const theme = useTheme();
  const rows = mergeSeries(series);
  const { min, max } = series.thresholdRange;
  const hasPrimary = rows.some(row => row.primary !== undefined);
  const format = (value: number) => formatMetricValue(value, series.unit);
  const passColor = theme.palette.success?.main ?? '#2e7d32';
  const failColor = theme.palette.error.main;
  const values = rows
    .flatMap(row => [row.canary, row.primary])
    .filter((v): v is number => v !== undefined);
  const low = Math.min(...values, ...(min !== undefined ? [min] : []));
  const high = Math.max(...values, ...(max !== undefined ? [max] : []));
  const padding = (high - low) * 0.1 || Math.abs(high) * 0.05 || 1;
  const domain: [number, number] = [low - padding, high + padding];
  const latest = rows.length ? rows[rows.length - 1] : undefined;
  const summary = `${series.metric}: ${
    rows.length
  } samples, latest canary ${format(latest?.canary ?? NaN)}${
    hasPrimary ? `, primary ${format(latest?.primary ?? NaN)}` : ''
  }; passes when ${formatThreshold(series.thresholdRange, series.unit)}.`;
  return (
    <figure style={{ margin: 0 }} aria-label={`Chart of ${series.metric}`}>
      <ResponsiveContainer width="100%" height={props.height ?? 220}>
        <LineChart
          data={rows}
          margin={{ top: 8, right: 16, bottom: 0, left: 8 }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke={theme.palette.divider} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(t: number) =>
              DateTime.fromMillis(t).toFormat('HH:mm')
            }
            stroke={theme.palette.text.secondary}
          />
          <YAxis
            domain={domain}
            tickFormatter={format}
            width={72}
            stroke={theme.palette.text.secondary}
          />
          <ReferenceArea
            y1={min ?? domain[0]}
            y2={max ?? domain[1]}
            fill={passColor}
            fillOpacity={0.08}
            ifOverflow="hidden"
          />
          {min !== undefined && (
            <ReferenceLine
              y={min}
              stroke={failColor}
              strokeDasharray="6 3"
              label={{
                value: `min ${format(min)}`,
                position: 'insideBottomRight',
                fontSize: 11,
              }}
            />
          )}
          {max !== undefined && (
            <ReferenceLine
              y={max}
              stroke={failColor}
              strokeDasharray="6 3"
              label={{
                value: `max ${format(max)}`,
                position: 'insideTopRight',
                fontSize: 11,
              }}
            />
          )}
          <Tooltip
            labelFormatter={(t: number) =>
              DateTime.fromMillis(t).toLocaleString(DateTime.TIME_WITH_SECONDS)
            }
            formatter={(value: number) => format(value)}
          />
          <Legend />
          <Line
            name="Canary"
            dataKey="canary"
            stroke={theme.palette.primary.main}
            strokeWidth={2}
            dot={false}
            connectNulls
            isAnimationActive={false}
          />
          {hasPrimary && (
            <Line
              name="Primary"
              dataKey="primary"
              stroke={theme.palette.text.secondary}
              strokeDasharray="4 4"
              strokeWidth={2}
              dot={false}
              connectNulls
              isAnimationActive={false}
            />
          )}
        </LineChart>
      </ResponsiveContainer>
      <figcaption
        style={{
          position: 'absolute',
          width: 1,
          height: 1,
          overflow: 'hidden',
          clip: 'rect(0,0,0,0)',
        }}
      >
        {summary}
      </figcaption>
    </figure>
  );
}
