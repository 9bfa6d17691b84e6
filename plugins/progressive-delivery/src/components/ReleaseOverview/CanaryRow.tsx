import { useState, ReactNode } from 'react';
import {
  Box,
  Button,
  Chip,
  Collapse,
  Paper,
  Typography,
  makeStyles,
} from '@material-ui/core';
import ExpandLess from '@material-ui/icons/ExpandLess';
import ExpandMore from '@material-ui/icons/ExpandMore';
import PanTool from '@material-ui/icons/PanTool';
import {
  ACTION_LABELS,
  CanarySummary,
  ClusterStatus,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import {
  absoluteTime,
  approximateDuration,
  canaryRowId,
  personName,
  relativeTime,
  STRATEGY_LABELS,
  waitingForText,
} from '../../utils/format';
import { CanaryActions } from '../CanaryActions/CanaryActions';
import { CanaryDetails } from '../ReleaseDetails/CanaryDetails';
import { Notice } from '../shared/Notice';
import { ToneStatus } from '../shared/StateStatus';
import { useNearViewport } from '../../hooks/useNearViewport';
import { ImageComparison } from './ImageComparison';
import { TrafficProgress } from './TrafficProgress';

const useStyles = makeStyles(theme => ({
  root: {
    padding: theme.spacing(2),
    minWidth: 0,
    '& + &': { marginTop: theme.spacing(2) },
    // The compact overview links here; leave room above and show where the link landed.
    scrollMarginTop: theme.spacing(10),
    '&:focus': {
      outline: `2px solid ${theme.palette.primary.main}`,
      outlineOffset: 2,
    },
  },
  // About the height of a full row, so the page's length and scrollbar barely move as rows fill in.
  preview: { minHeight: 240 },
  header: {
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
  },
  name: { fontWeight: 600, marginRight: theme.spacing(1) },
  headline: { fontSize: '1rem' },
  grid: {
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 1.2fr) minmax(0, 1fr)',
    gap: theme.spacing(2, 4),
    marginTop: theme.spacing(1.5),
    [theme.breakpoints.down('sm')]: { gridTemplateColumns: 'minmax(0, 1fr)' },
  },
  facts: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5, 3),
    marginTop: theme.spacing(1),
  },
  failures: {
    margin: theme.spacing(0.5, 0, 0),
    paddingLeft: theme.spacing(2.5),
  },
  waiting: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1.5),
    padding: theme.spacing(1, 1.5),
    borderRadius: theme.shape.borderRadius,
    border: `1px solid ${theme.palette.warning.main}`,
    fontWeight: 600,
  },
  footer: {
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'flex-end',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    marginTop: theme.spacing(2),
  },
}));

function Fact(props: { label: string; children: ReactNode; title?: string }) {
  return (
    <Typography variant="body2" component="span" title={props.title}>
      <Typography variant="body2" component="span" color="textSecondary">
        {props.label}:{' '}
      </Typography>
      {props.children}
    </Typography>
  );
}

/** The canary's name, its state in words and what kind of release it is. */
function CanaryRowHeader(props: { summary: CanarySummary }) {
  const { summary } = props;
  const classes = useStyles();
  const phase = summary.phase ?? summary.rawPhase;
  return (
    <>
      <Box className={classes.header}>
        <Typography variant="h6" component="h3" className={classes.name}>
          {summary.ref.name}
        </Typography>
        <Box className={classes.headline}>
          <ToneStatus tone={summary.state.tone}>
            {summary.state.headline}
          </ToneStatus>
        </Box>
        <Box flex={1} />
        <Chip
          size="small"
          label={STRATEGY_LABELS[summary.strategy]}
          variant="outlined"
        />
        {summary.mirroring && (
          <Chip size="small" label="Mirroring" variant="outlined" />
        )}
        {summary.provider && (
          <Chip size="small" label={summary.provider} variant="outlined" />
        )}
        {summary.suspended && <Chip size="small" label="Suspended" />}
        {summary.skipAnalysis && <Chip size="small" label="Skips analysis" />}
      </Box>
      <Typography variant="body2" color="textSecondary">
        Namespace {summary.ref.namespace} · {summary.targetRef.kind}{' '}
        {summary.targetRef.name}
        {phase ? ` · phase ${phase}` : ''}
      </Typography>
    </>
  );
}

interface CanaryRowProps {
  summary: CanarySummary;
  entityRef: string;
  cluster?: ClusterStatus;
  lastMessage?: StreamMessage;
  defaultExpanded?: boolean;
  deferred?: boolean;
}

/** Everything below the header: what the release waits for, traffic, checks, actions, details. */
function CanaryRowBody(props: Omit<CanaryRowProps, 'deferred'>) {
  const { summary, entityRef, cluster } = props;
  const classes = useStyles();
  const [expanded, setExpanded] = useState(props.defaultExpanded ?? false);
  const waiting = waitingForText(summary);
  const detailsId = `${canaryRowId(summary.ref)}-details`;
  const failedChecks = summary.checks.failedChecks;
  const decision = summary.pendingDecision;
  return (
    <>
      {summary.state.detail && (
        <Typography variant="body2" style={{ marginTop: 4 }}>
          {summary.state.detail}
        </Typography>
      )}
      {summary.state.blockedBy && (
        <Typography variant="body2" color="textSecondary">
          Flagger has reported this since{' '}
          <span title={absoluteTime(summary.state.blockedBy.since)}>
            {relativeTime(summary.state.blockedBy.since)}
          </span>
          .
        </Typography>
      )}
      {waiting && (
        <Box className={classes.waiting}>
          <PanTool fontSize="small" aria-hidden />
          <Typography
            variant="body2"
            component="span"
            style={{ fontWeight: 600 }}
          >
            {waiting}
          </Typography>
        </Box>
      )}
      {decision && !decision.appliedAt && (
        <Typography variant="body2" style={{ marginTop: 8 }}>
          <strong>{ACTION_LABELS[decision.action]}</strong> approved by{' '}
          {personName(decision.decidedBy)}{' '}
          <span title={absoluteTime(decision.decidedAt)}>
            {relativeTime(decision.decidedAt)}
          </span>
          {decision.comment ? ` (“${decision.comment}”)` : ''}; Flagger applies
          it at its next analysis tick.
        </Typography>
      )}
      {!summary.fresh && (
        <Box mt={1.5}>
          <Notice
            severity="warning"
            title={`Stale: cluster ${summary.ref.cluster} is unreachable, this is the last known state`}
          >
            {cluster?.error ?? 'The backend lost contact with the cluster.'}
            {cluster?.lastSyncAt
              ? ` Last contact ${relativeTime(cluster.lastSyncAt)}.`
              : ''}
          </Notice>
        </Box>
      )}
      <Box className={classes.grid}>
        <Box>
          <TrafficProgress summary={summary} />
          <Box className={classes.facts}>
            {summary.rollback ? (
              summary.rollback.failedChecks !== undefined && (
                <Fact label="Failed checks">
                  {summary.rollback.failedChecks} of{' '}
                  {summary.rollback.threshold}, then rolled back
                </Fact>
              )
            ) : (
              <Fact label="Failed checks">
                {failedChecks} of {summary.checks.threshold}
                {failedChecks > 0 ? ' (rolls back at the threshold)' : ''}
              </Fact>
            )}
            {summary.lastTransitionTime && (
              <Fact
                label="Last change"
                title={absoluteTime(summary.lastTransitionTime)}
              >
                {relativeTime(summary.lastTransitionTime)}
              </Fact>
            )}
            {summary.estimatedSecondsLeft !== undefined && (
              <Fact label="Time left">
                {approximateDuration(summary.estimatedSecondsLeft)} if every
                check passes
              </Fact>
            )}
            {summary.trigger && (
              <Fact label="Started because">{summary.trigger.description}</Fact>
            )}
          </Box>
          {summary.rollback && summary.rollback.failures.length > 0 && (
            <Box mt={1}>
              <Typography variant="body2" color="textSecondary" component="h4">
                Checks that failed in this run
              </Typography>
              <ul className={classes.failures}>
                {summary.rollback.failures.map(failure => (
                  <li key={failure.message}>
                    <Typography variant="body2" component="span">
                      {failure.message}
                      {failure.count > 1 ? ` (${failure.count} times)` : ''}
                    </Typography>
                    {failure.lastSeen && (
                      <Typography
                        variant="body2"
                        component="span"
                        color="textSecondary"
                        title={absoluteTime(failure.lastSeen)}
                      >
                        {' '}
                        · {relativeTime(failure.lastSeen)}
                      </Typography>
                    )}
                  </li>
                ))}
              </ul>
            </Box>
          )}
        </Box>
        <ImageComparison canary={summary.canary} primary={summary.primary} />
      </Box>
      <Box className={classes.footer}>
        <CanaryActions summary={summary} entityRef={entityRef} />
        <Button
          size="small"
          onClick={() => setExpanded(value => !value)}
          aria-expanded={expanded}
          aria-controls={detailsId}
          aria-label={`${expanded ? 'Hide details' : 'Details'} of ${
            summary.ref.name
          } in ${summary.ref.cluster}`}
          endIcon={expanded ? <ExpandLess /> : <ExpandMore />}
        >
          {expanded ? 'Hide details' : 'Details'}
        </Button>
      </Box>
      <Collapse in={expanded} unmountOnExit>
        <Box id={detailsId} mt={2}>
          <CanaryDetails
            summary={summary}
            entityRef={entityRef}
            cluster={cluster}
            lastMessage={props.lastMessage}
          />
        </Box>
      </Collapse>
    </>
  );
}

/**
 * One canary: its state in words, traffic, checks, images, timing, actions and details.
 *
 * A `deferred` row shows only its header until it comes near the visible part of the page,
 * so a tab of hundreds of canaries shows its first screen without building every row. The
 * section itself (its id, name and focus) is the same element before and after.
 */
export function CanaryRow(props: CanaryRowProps) {
  const { deferred, ...bodyProps } = props;
  const { summary } = props;
  const classes = useStyles();
  const [near, track] = useNearViewport<HTMLElement>(deferred ?? false);
  return (
    <Paper
      ref={track}
      variant="outlined"
      className={`${classes.root}${near ? '' : ` ${classes.preview}`}`}
      component="section"
      id={canaryRowId(summary.ref)}
      tabIndex={-1}
      aria-label={`${summary.ref.name} in ${summary.ref.cluster}`}
    >
      <CanaryRowHeader summary={summary} />
      {near && <CanaryRowBody {...bodyProps} />}
    </Paper>
  );
}
