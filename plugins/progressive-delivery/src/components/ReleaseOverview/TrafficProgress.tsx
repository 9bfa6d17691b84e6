import { Box, LinearProgress, Typography, makeStyles } from '@material-ui/core';
import { CanarySummary } from '@progressive-delivery/plugin-progressive-delivery-common';

const useStyles = makeStyles(theme => ({
  bar: { height: 8, borderRadius: 4, marginTop: theme.spacing(0.5) },
  labels: {
    display: 'flex',
    justifyContent: 'space-between',
    gap: theme.spacing(1),
  },
}));

/** States in which traffic is (or may soon be) split between the two versions. */
const ACTIVE_KINDS = new Set([
  'progressing',
  'waiting-traffic-approval',
  'waiting-promotion-approval',
  'promoting',
  'finalising',
  'suspended',
]);

const ITERATION_LABELS: Record<
  CanarySummary['strategy'],
  (mirroring: boolean) => string
> = {
  'blue-green': mirroring =>
    `Testing the new version${
      mirroring ? ' with mirrored traffic' : ''
    }; users stay on the primary`,
  'ab-testing': () => 'Matching requests go to the canary',
  canary: () => 'Analysis running',
};

/**
 * Where a rolled-back release stopped, from the backend's report: Flagger resets the weight and
 * step of a failed canary to 0, so the status alone would say "step 0".
 */
function stoppedAt(summary: CanarySummary): string | undefined {
  const report = summary.rollback;
  if (report?.reachedStep === undefined) return undefined;
  const unit = summary.traffic.mode === 'iterations' ? 'iteration' : 'step';
  const total =
    report.totalSteps !== undefined ? ` of ${report.totalSteps}` : '';
  const weight =
    report.reachedWeight !== undefined
      ? ` (${report.reachedWeight}% of traffic)`
      : '';
  return `Reached ${unit} ${report.reachedStep}${total}${weight}`;
}

export function describeTraffic(summary: CanarySummary): {
  label: string;
  detail?: string;
  percent?: number;
} {
  const { traffic, strategy, mirroring } = summary;
  const active = ACTIVE_KINDS.has(summary.state.kind);
  const steps =
    traffic.totalSteps !== undefined
      ? `${traffic.mode === 'iterations' ? 'Iteration' : 'Step'} ${
          traffic.currentStep
        } of ${traffic.totalSteps}`
      : undefined;
  if (!active) {
    return {
      label: 'All traffic on the primary',
      detail: summary.state.kind === 'failed' ? stoppedAt(summary) : undefined,
    };
  }
  if (traffic.mode === 'weight' && traffic.canaryWeight !== undefined) {
    const canary = traffic.canaryWeight;
    return {
      label: `Canary ${canary}% · Primary ${100 - canary}%${
        mirroring ? ' · mirrored' : ''
      }`,
      detail: [
        steps,
        traffic.maxWeight !== undefined
          ? `promotes after ${traffic.maxWeight}%`
          : undefined,
      ]
        .filter(Boolean)
        .join(', '),
      percent: canary,
    };
  }
  const total = traffic.totalSteps;
  return {
    label: ITERATION_LABELS[strategy](mirroring),
    detail: steps,
    percent: total
      ? Math.min(100, (traffic.currentStep / total) * 100)
      : undefined,
  };
}

export function TrafficProgress(props: { summary: CanarySummary }) {
  const classes = useStyles();
  const { label, detail, percent } = describeTraffic(props.summary);
  const isWeight = props.summary.traffic.mode === 'weight';
  return (
    <Box>
      <Box className={classes.labels}>
        <Typography variant="body2">{label}</Typography>
        {detail && (
          <Typography variant="body2" color="textSecondary">
            {detail}
          </Typography>
        )}
      </Box>
      {percent !== undefined && (
        <LinearProgress
          className={classes.bar}
          variant="determinate"
          value={percent}
          aria-label={
            isWeight ? 'Share of traffic on the canary' : 'Analysis progress'
          }
          aria-valuetext={[label, detail].filter(Boolean).join(', ')}
        />
      )}
    </Box>
  );
}
