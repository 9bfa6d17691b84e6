import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
  makeStyles,
} from '@material-ui/core';
import {
  ACTION_LABELS,
  GateDecision,
  RolloutOutcome,
  RolloutRecord,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import {
  absoluteTime,
  canaryKey,
  humanDuration,
  personName,
  relativeTime,
} from '../../utils/format';
import { ToneStatus } from '../shared/StateStatus';

const useStyles = makeStyles(theme => ({
  mono: {
    fontFamily: 'monospace',
    fontSize: '0.8125rem',
    wordBreak: 'break-all',
  },
  decision: { display: 'block', marginBottom: theme.spacing(0.5) },
}));

const OUTCOMES: Record<
  RolloutOutcome,
  { tone: 'ok' | 'error' | 'progress' | 'neutral'; words: string }
> = {
  'in-progress': { tone: 'progress', words: 'In progress' },
  succeeded: { tone: 'ok', words: 'Promoted' },
  failed: { tone: 'error', words: 'Rolled back' },
  superseded: { tone: 'neutral', words: 'Superseded by a newer revision' },
};

function Decision(props: { decision: GateDecision }) {
  const classes = useStyles();
  const { decision } = props;
  return (
    <span className={classes.decision}>
      <strong>{ACTION_LABELS[decision.action]}</strong> by{' '}
      {personName(decision.decidedBy)}{' '}
      <span title={absoluteTime(decision.decidedAt)}>
        {relativeTime(decision.decidedAt)}
      </span>
      {decision.comment ? `: “${decision.comment}”` : ''}
      {decision.appliedAt ? '' : ' (not applied by Flagger)'}
    </span>
  );
}

/** Past rollouts kept by the backend, newest first. */
export function RolloutHistory(props: {
  records: RolloutRecord[];
  showCanary?: boolean;
}) {
  const classes = useStyles();
  const records = [...props.records].sort(
    (a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt),
  );
  if (records.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No rollouts recorded yet. The portal records each rollout from the
        moment it runs.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Rollout history, newest first">
      <TableHead>
        <TableRow>
          <TableCell>Outcome</TableCell>
          {props.showCanary && <TableCell>Canary</TableCell>}
          <TableCell>Images</TableCell>
          <TableCell>Started</TableCell>
          <TableCell>Reason and decisions</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {records.map(record => {
          const outcome = OUTCOMES[record.outcome] ?? OUTCOMES.superseded;
          const duration =
            record.endedAt &&
            humanDuration(
              (Date.parse(record.endedAt) - Date.parse(record.startedAt)) /
                1000,
            );
          return (
            <TableRow key={`${canaryKey(record.ref)}/${record.revision}`}>
              <TableCell>
                <ToneStatus tone={outcome.tone}>{outcome.words}</ToneStatus>
              </TableCell>
              {props.showCanary && (
                <TableCell>
                  {record.ref.cluster}/{record.ref.namespace}/{record.ref.name}
                </TableCell>
              )}
              <TableCell className={classes.mono}>
                {record.images.join(', ') || '–'}
              </TableCell>
              <TableCell>
                <span title={absoluteTime(record.startedAt)}>
                  {relativeTime(record.startedAt)}
                </span>
                {duration ? ` · took ${duration}` : ''}
              </TableCell>
              <TableCell>
                {record.failureReason && (
                  <Typography
                    variant="body2"
                    color="error"
                    component="span"
                    className={classes.decision}
                  >
                    {record.failureReason}
                  </Typography>
                )}
                {record.decisions.map(decision => (
                  <Decision
                    key={`${decision.action}-${decision.decidedAt}`}
                    decision={decision}
                  />
                ))}
                {!record.failureReason && record.decisions.length === 0 && '–'}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
