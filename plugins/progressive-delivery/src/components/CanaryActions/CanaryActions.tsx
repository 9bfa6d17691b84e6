import { useEffect, useState } from 'react';
import { Box, Button, CircularProgress, Tooltip, Typography, makeStyles } from '@material-ui/core';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ACTION_LABELS,
  ActionAvailability,
  CANARY_ACTIONS,
  CanaryAction,
  CanarySummary,
  permissionForAction,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../../api';
import { humanDuration } from '../../utils/format';
import { VisuallyHidden } from '../shared/VisuallyHidden';
import { ActionDialog } from './ActionDialog';
import {
  isActionSeen,
  patienceMs,
  PendingAction,
  pendingFrom,
} from './actionFeedback';

const useStyles = makeStyles(theme => ({
  buttons: { display: 'flex', flexWrap: 'wrap', gap: theme.spacing(1) },
  feedback: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1),
  },
}));

/**
 * The actions worth showing: Pause and Resume replace each other, and Approve rollout only
 * appears while a rollout could wait for it.
 */
export function visibleActions(summary: CanarySummary): CanaryAction[] {
  const byAction = new Map(summary.actions.map(a => [a.action, a]));
  return CANARY_ACTIONS.filter(action => {
    const availability = byAction.get(action);
    switch (action) {
      case 'approve-rollout':
        return Boolean(availability?.applicable) || summary.phase === 'Waiting';
      case 'resume':
        return Boolean(availability?.applicable);
      case 'pause':
        return !byAction.get('resume')?.applicable;
      default:
        return true;
    }
  });
}

function ActionButton(props: {
  action: CanaryAction;
  summary: CanarySummary;
  entityRef: string;
  availability?: ActionAvailability;
  busy: boolean;
  onClick: () => void;
}) {
  const { action, summary, availability } = props;
  const permission = usePermission({
    permission: permissionForAction[action],
    resourceRef: props.entityRef,
  });
  let reason: string | undefined;
  if (permission.loading) {
    reason = 'Checking your permissions…';
  } else if (!permission.allowed) {
    reason = `You do not have permission to ${ACTION_LABELS[action].toLowerCase()} this canary (${permissionForAction[action].name}).`;
  } else if (!availability) {
    reason = 'The backend did not report whether this action is possible.';
  } else if (!availability.applicable) {
    reason = availability.reason ?? 'Not possible in the current state.';
  } else if (props.busy) {
    reason = 'Waiting for Flagger to apply the previous decision.';
  }
  const disabled = reason !== undefined;
  const reasonId = `pd-reason-${summary.ref.cluster}-${summary.ref.namespace}-${summary.ref.name}-${action}`;
  // aria-disabled keeps the button focusable, so keyboard users reach the tooltip.
  return (
    <Tooltip title={reason ?? availability?.effect ?? ''}>
      <span>
        <Button
          size="small"
          variant={action === 'promote' && !disabled ? 'contained' : 'outlined'}
          color={action === 'rollback' ? 'secondary' : 'primary'}
          aria-disabled={disabled}
          aria-describedby={disabled ? reasonId : undefined}
          onClick={disabled ? undefined : props.onClick}
          style={disabled ? { opacity: 0.55, cursor: 'not-allowed' } : undefined}
        >
          {ACTION_LABELS[action]}
        </Button>
        {disabled && <VisuallyHidden id={reasonId}>{reason}</VisuallyHidden>}
      </span>
    </Tooltip>
  );
}

function ActionFeedback(props: { pending: PendingAction; summary: CanarySummary; onDismiss: () => void }) {
  const classes = useStyles();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);
  const waitedMs = now - props.pending.requestedAt;
  const slow = waitedMs > patienceMs(props.summary);
  return (
    <Box className={classes.feedback} role="status">
      <CircularProgress size={16} aria-hidden />
      <Typography variant="body2">
        {ACTION_LABELS[props.pending.action]} recorded. Waiting for Flagger…{' '}
        <Typography component="span" variant="body2" color="textSecondary">
          {slow
            ? `Not picked up after ${humanDuration(waitedMs / 1000)}. Flagger asks at each analysis tick (every ${props.summary.intervalSeconds}s); check that Flagger runs in ${props.summary.ref.cluster} and can reach the portal's webhooks.`
            : props.pending.response.message}
        </Typography>
      </Typography>
      <Button size="small" onClick={props.onDismiss}>
        Dismiss
      </Button>
    </Box>
  );
}

/** Promote, roll back, pause/resume and approve, each behind a confirmation dialog. */
export function CanaryActions(props: { summary: CanarySummary; entityRef: string }) {
  const { summary, entityRef } = props;
  const classes = useStyles();
  const api = useApi(progressiveDeliveryApiRef);
  const [open, setOpen] = useState<CanaryAction>();
  const [pending, setPending] = useState<PendingAction>();
  const [seen, setSeen] = useState<string>();

  useEffect(() => {
    if (pending && isActionSeen(pending, summary)) {
      setSeen(`${ACTION_LABELS[pending.action]}: Flagger applied it. ${summary.state.headline}.`);
      setPending(undefined);
    }
  }, [pending, summary]);

  const availability = new Map(summary.actions.map(a => [a.action, a]));
  const confirm = async (action: CanaryAction, comment: string) => {
    const response = await api.act(summary.ref, action, { entityRef, comment });
    setOpen(undefined);
    setSeen(undefined);
    setPending(pendingFrom(action, response, summary));
  };

  return (
    <Box>
      <Box className={classes.buttons} role="group" aria-label={`Actions for ${summary.ref.name} in ${summary.ref.cluster}`}>
        {visibleActions(summary).map(action => (
          <ActionButton
            key={action}
            action={action}
            summary={summary}
            entityRef={entityRef}
            availability={availability.get(action)}
            busy={pending !== undefined}
            onClick={() => setOpen(action)}
          />
        ))}
      </Box>
      {pending && (
        <ActionFeedback pending={pending} summary={summary} onDismiss={() => setPending(undefined)} />
      )}
      {!pending && seen && (
        <Typography variant="body2" role="status" className={classes.feedback}>
          {seen}
        </Typography>
      )}
      {open && (
        <ActionDialog
          open
          action={open}
          summary={summary}
          availability={availability.get(open)}
          onCancel={() => setOpen(undefined)}
          onConfirm={comment => confirm(open, comment)}
        />
      )}
    </Box>
  );
}
