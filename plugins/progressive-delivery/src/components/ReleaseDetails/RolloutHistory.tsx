import {
  Box,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
  makeStyles,
} from '@material-ui/core';
import CheckCircle from '@material-ui/icons/CheckCircle';
import HourglassEmpty from '@material-ui/icons/HourglassEmpty';
import SkipNext from '@material-ui/icons/SkipNext';
import Undo from '@material-ui/icons/Undo';
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
import { ImageReference } from '../shared/ImageReference';
import { VisuallyHidden } from '../shared/VisuallyHidden';

const useStyles = makeStyles(theme => ({
  scroller: { overflowX: 'auto' },
  table: { tableLayout: 'auto' },
  nowrap: { whiteSpace: 'nowrap', verticalAlign: 'top' },
  top: { verticalAlign: 'top' },
  outcome: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.75),
    whiteSpace: 'nowrap',
  },
  ok: { color: theme.palette.success.main },
  error: { color: theme.palette.error.main },
  progress: { color: theme.palette.info.main },
  neutral: { color: theme.palette.text.secondary },
  images: {
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'flex-start',
  },
  // Words wrap between words; only an unbroken token (a long comment word) may break.
  reason: { overflowWrap: 'anywhere', verticalAlign: 'top', minWidth: 160 },
  decision: { display: 'block', marginBottom: theme.spacing(0.5) },
}));

type OutcomeTone = 'ok' | 'error' | 'progress' | 'neutral';

export const OUTCOMES: Record<
  RolloutOutcome,
  { tone: OutcomeTone; words: string; more?: string; Icon: typeof CheckCircle }
> = {
  'in-progress': {
    tone: 'progress',
    words: 'In progress',
    Icon: HourglassEmpty,
  },
  succeeded: { tone: 'ok', words: 'Promoted', Icon: CheckCircle },
  failed: { tone: 'error', words: 'Rolled back', Icon: Undo },
  superseded: {
    tone: 'neutral',
    words: 'Superseded',
    more: ' by a newer revision',
    Icon: SkipNext,
  },
};

function Outcome(props: { outcome: RolloutOutcome }) {
  const classes = useStyles();
  const outcome = OUTCOMES[props.outcome] ?? OUTCOMES.superseded;
  const { Icon } = outcome;
  return (
    <span
      className={classes.outcome}
      title={`${outcome.words}${outcome.more ?? ''}`}
    >
      <Icon fontSize="small" className={classes[outcome.tone]} aria-hidden />
      <Typography variant="body2" component="span">
        {outcome.words}
        {outcome.more && <VisuallyHidden>{outcome.more}</VisuallyHidden>}
      </Typography>
    </span>
  );
}

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
    <Box className={classes.scroller}>
      <Table
        size="small"
        aria-label="Rollout history, newest first"
        className={classes.table}
      >
        <TableHead>
          <TableRow>
            <TableCell className={classes.nowrap}>Outcome</TableCell>
            {props.showCanary && (
              <TableCell className={classes.nowrap}>Canary</TableCell>
            )}
            <TableCell className={classes.nowrap}>Images</TableCell>
            <TableCell className={classes.nowrap}>Started</TableCell>
            <TableCell>Reason and decisions</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {records.map(record => {
            const duration =
              record.endedAt &&
              humanDuration(
                (Date.parse(record.endedAt) - Date.parse(record.startedAt)) /
                  1000,
              );
            return (
              <TableRow key={`${canaryKey(record.ref)}/${record.revision}`}>
                <TableCell className={classes.nowrap}>
                  <Outcome outcome={record.outcome} />
                </TableCell>
                {props.showCanary && (
                  <TableCell className={classes.top}>
                    {record.ref.cluster}/{record.ref.namespace}/
                    {record.ref.name}
                  </TableCell>
                )}
                <TableCell className={classes.nowrap}>
                  <span className={classes.images}>
                    {record.images.length === 0 && '–'}
                    {record.images.map(image => (
                      <ImageReference key={image} image={image} />
                    ))}
                  </span>
                </TableCell>
                <TableCell className={classes.nowrap}>
                  <span title={absoluteTime(record.startedAt)}>
                    {relativeTime(record.startedAt)}
                  </span>
                  {duration && (
                    <Typography
                      variant="body2"
                      color="textSecondary"
                      component="span"
                      style={{ display: 'block' }}
                    >
                      took {duration}
                    </Typography>
                  )}
                </TableCell>
                <TableCell className={classes.reason}>
                  {record.failureReason && (
                    <Typography
                      variant="body2"
                      color="textPrimary"
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
                  {!record.failureReason &&
                    record.decisions.length === 0 &&
                    '–'}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Box>
  );
}
