import { useState } from 'react';
import {
  Box,
  Divider,
  FormControl,
  Grid,
  InputLabel,
  MenuItem,
  Select,
  Typography,
  makeStyles,
} from '@material-ui/core';
import { Link, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  AnalysisMetric,
  CanarySummary,
  ClusterStatus,
  MetricVerdict,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../../api';
import {
  canaryKey,
  formatMetricValue,
  formatThreshold,
  relativeTime,
} from '../../utils/format';
import { Notice } from '../shared/Notice';
import { CopyButton } from '../shared/CopyButton';
import { ToneStatus } from '../shared/StateStatus';
import { MetricChart } from './MetricChart';

const useStyles = makeStyles(theme => ({
  metric: { padding: theme.spacing(2, 0) },
  query: {
    margin: theme.spacing(1, 0, 0),
    '& > summary': {
      cursor: 'pointer',
      ...theme.typography.body2,
      color: theme.palette.text.secondary,
      '&:focus-visible': {
        outline: `2px solid ${theme.palette.primary.main}`,
        outlineOffset: 2,
      },
    },
  },
  queryBody: {
    display: 'flex',
    alignItems: 'flex-start',
    gap: theme.spacing(0.5),
    marginTop: theme.spacing(0.5),
    background: theme.palette.background.default,
    color: theme.palette.text.primary,
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
    padding: theme.spacing(1),
  },
  queryText: {
    flex: 1,
    minWidth: 0,
    margin: 0,
    fontFamily: 'monospace',
    fontSize: '0.75rem',
    whiteSpace: 'pre-wrap',
    overflowWrap: 'anywhere',
  },
  facts: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
  },
}));

const VERDICTS: Record<
  MetricVerdict,
  { tone: 'ok' | 'error' | 'neutral' | 'waiting'; words: string }
> = {
  pass: { tone: 'ok', words: 'Pass' },
  fail: { tone: 'error', words: 'Fail' },
  'no-data': { tone: 'waiting', words: 'No data' },
  unavailable: { tone: 'neutral', words: 'Unavailable' },
};

export const WINDOWS = [15, 30, 60, 180];

function sourceText(metric: AnalysisMetric): string {
  if (metric.source === 'template' && metric.templateRef) {
    return `MetricTemplate ${metric.templateRef.namespace}/${metric.templateRef.name}`;
  }
  return metric.source === 'builtin'
    ? 'Flagger built-in metric'
    : 'Inline query';
}

/** The PromQL Flagger runs, folded away until asked for, with a copy button. */
function QueryBlock(props: { metric: AnalysisMetric }) {
  const classes = useStyles();
  const { metric } = props;
  return (
    <details className={classes.query}>
      <summary>PromQL query</summary>
      <Box className={classes.queryBody}>
        <pre className={classes.queryText}>{metric.query}</pre>
        <CopyButton
          text={metric.query ?? ''}
          label={`Copy the PromQL query of ${metric.name}`}
        />
      </Box>
    </details>
  );
}

function MetricFacts(props: { metric: AnalysisMetric }) {
  const classes = useStyles();
  const { metric } = props;
  const current = metric.current;
  const verdict = current ? VERDICTS[current.verdict] : undefined;
  return (
    <Box className={classes.facts}>
      <Typography variant="body2" color="textSecondary">
        Verdict
      </Typography>
      <Box>
        {verdict ? (
          <ToneStatus tone={verdict.tone}>
            {verdict.words}
            {current?.message ? `: ${current.message}` : ''}
          </ToneStatus>
        ) : (
          <Typography variant="body2">Not measured yet</Typography>
        )}
      </Box>
      <Typography variant="body2" color="textSecondary">
        Canary now
      </Typography>
      <Typography variant="body2">
        {formatMetricValue(current?.value, metric.unit)}
        {current?.at ? ` (${relativeTime(current.at)})` : ''}
      </Typography>
      {current?.primaryValue !== undefined && (
        <>
          <Typography variant="body2" color="textSecondary">
            Primary now
          </Typography>
          <Typography variant="body2">
            {formatMetricValue(current.primaryValue, metric.unit)}
          </Typography>
        </>
      )}
      <Typography variant="body2" color="textSecondary">
        Passes when
      </Typography>
      <Typography variant="body2">
        {formatThreshold(metric.thresholdRange, metric.unit)} over{' '}
        {metric.interval}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        Source
      </Typography>
      <Typography variant="body2">{sourceText(metric)}</Typography>
    </Box>
  );
}

/** Analysis metrics: the latest verdicts from the summary, and charts over the chosen window. */
export function MetricsPanel(props: {
  summary: CanarySummary;
  entityRef: string;
  cluster?: ClusterStatus;
}) {
  const { summary, entityRef, cluster } = props;
  const classes = useStyles();
  const api = useApi(progressiveDeliveryApiRef);
  const [minutes, setMinutes] = useState(30);
  const prometheusDown = cluster?.prometheus.status === 'error';
  const windowId = `pd-window-${canaryKey(summary.ref).replace(
    /[^a-zA-Z0-9-]/g,
    '-',
  )}`;
  const metrics = useAsyncRetry(
    () => api.getMetrics(summary.ref, entityRef, minutes),
    [
      api,
      entityRef,
      minutes,
      summary.ref.cluster,
      summary.ref.namespace,
      summary.ref.name,
    ],
  );

  if (summary.metrics.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        This canary has no metric checks in spec.analysis.metrics; Flagger
        advances on webhooks alone.
      </Typography>
    );
  }

  return (
    <Box>
      {prometheusDown && (
        <Box mb={2}>
          <Notice
            severity="warning"
            title={`Metrics unavailable: Prometheus for cluster ${summary.ref.cluster} does not answer`}
          >
            {cluster?.prometheus.error ?? 'No reason given.'} The status,
            traffic and events shown come from Kubernetes and are current;
            Flagger itself may also fail its metric checks while Prometheus is
            down.
          </Notice>
        </Box>
      )}
      <Box display="flex" justifyContent="space-between" alignItems="center">
        <Typography variant="body2">
          {summary.rollback?.failedChecks !== undefined && (
            <>
              Rolled back after{' '}
              <strong>
                {summary.rollback.failedChecks} of {summary.rollback.threshold}
              </strong>{' '}
              failed checks
            </>
          )}
          {summary.rollback && summary.rollback.failedChecks === undefined && (
            <>
              Rolled back; Flagger reset its count of failed checks (threshold{' '}
              {summary.rollback.threshold})
            </>
          )}
          {!summary.rollback && (
            <>
              Failed checks:{' '}
              <strong>
                {summary.checks.failedChecks} of {summary.checks.threshold}
              </strong>{' '}
              allowed before rollback
            </>
          )}
        </Typography>
        <FormControl variant="outlined" size="small">
          <InputLabel id={`${windowId}-label`}>Window</InputLabel>
          <Select
            labelId={`${windowId}-label`}
            // With its own id the select is named "Window, Last 30 minutes", what it shows.
            SelectDisplayProps={{ id: windowId }}
            label="Window"
            value={minutes}
            onChange={event => setMinutes(Number(event.target.value))}
          >
            {WINDOWS.map(w => (
              <MenuItem key={w} value={w}>
                Last{' '}
                {w < 60
                  ? `${w} minutes`
                  : `${w / 60} ${w === 60 ? 'hour' : 'hours'}`}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
      </Box>
      {summary.metrics.map((metric, index) => {
        const series = metrics.value?.series.find(
          s => s.metric === metric.name,
        );
        return (
          <Box key={metric.name}>
            {index > 0 && <Divider />}
            <Grid container spacing={3} className={classes.metric}>
              <Grid item xs={12} md={4}>
                <Typography variant="h6" component="h4">
                  {metric.name}
                </Typography>
                <MetricFacts metric={metric} />
                {metric.query && <QueryBlock metric={metric} />}
                {metric.prometheusUrl && (
                  <Link
                    to={metric.prometheusUrl}
                    target="_blank"
                    rel="noopener noreferrer"
                  >
                    Open {metric.name} in Prometheus
                  </Link>
                )}
              </Grid>
              <Grid item xs={12} md={8}>
                {metrics.loading && !metrics.value && <Progress />}
                {metrics.error && (
                  <Notice
                    severity="warning"
                    title="Could not load the metric history"
                  >
                    {metrics.error.message}
                  </Notice>
                )}
                {series?.error && (
                  <Notice
                    severity="warning"
                    title={`No chart for ${metric.name}`}
                  >
                    {series.error}
                  </Notice>
                )}
                {series && !series.error && series.canary.length === 0 && (
                  <Typography variant="body2" color="textSecondary">
                    Prometheus returned no samples for {metric.name} in the last{' '}
                    {minutes} minutes.
                  </Typography>
                )}
                {series && !series.error && series.canary.length > 0 && (
                  <MetricChart series={series} />
                )}
              </Grid>
            </Grid>
          </Box>
        );
      })}
    </Box>
  );
}
