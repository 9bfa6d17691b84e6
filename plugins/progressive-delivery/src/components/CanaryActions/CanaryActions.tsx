import { Ref, useEffect, useRef, useState } from 'react';
import {
  Box,
  Button,
  CircularProgress,
  IconButton,
  ListItemText,
  Menu,
  MenuItem,
  Tooltip,
  Typography,
  makeStyles,
} from '@material-ui/core';
import MoreVert from '@material-ui/icons/MoreVert';
import { useApi } from '@backstage/core-plugin-api';
import {
  ACTION_LABELS,
  ActionAvailability,
  CanaryAction,
  CanarySummary,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../../api';
import { canaryRowId, humanDuration, relativeTime } from '../../utils/format';
import { ActionDialog } from './ActionDialog';
import { permissionSentence, useActionPermissions } from './actionPermissions';
import { planActions } from './actionPlan';
import {
  AppliedAction,
  appliedFrom,
  describeOutcome,
  hasMovedPast,
  isActionSeen,
  patienceMs,
  PendingAction,
  pendingFrom,
} from './actionFeedback';

const useStyles = makeStyles(theme => ({
  bar: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
  },
  disabled: { opacity: 0.6, cursor: 'not-allowed' },
  line: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1),
    '&:focus': {
      outline: `2px solid ${theme.palette.primary.main}`,
      outlineOffset: 2,
    },
  },
  menuItem: { whiteSpace: 'normal', maxWidth: 420, alignItems: 'flex-start' },
  menuReason: { color: theme.palette.text.secondary },
}));

function ActionButton(props: {
  availability: ActionAvailability;
  /** Why the button does nothing now; undefined when it can be used. */
  heldBy?: { text: string; id: string };
  onClick: () => void;
}) {
  const classes = useStyles();
  const { action, effect } = props.availability;
  const held = props.heldBy !== undefined;
  // aria-disabled keeps a held button focusable, so keyboard users reach its reason.
  return (
    <Tooltip title={props.heldBy?.text ?? effect ?? ''}>
      <Button
        size="small"
        variant={action === 'promote' && !held ? 'contained' : 'outlined'}
        color={action === 'rollback' ? 'secondary' : 'primary'}
        aria-disabled={held}
        aria-describedby={props.heldBy?.id}
        onClick={held ? undefined : props.onClick}
        className={held ? classes.disabled : undefined}
      >
        {ACTION_LABELS[action]}
      </Button>
    </Tooltip>
  );
}

/** The actions that do not apply now, each with its reason; nothing in it can be started. */
function NotNowMenu(props: {
  summary: CanarySummary;
  items: ActionAvailability[];
}) {
  const classes = useStyles();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const { ref } = props.summary;
  const menuId = `${canaryRowId(ref)}-more-actions`;
  const label = `Other actions for ${ref.name} in ${ref.cluster}, not possible now`;
  return (
    <>
      <Tooltip title="Actions not possible now, and why">
        <IconButton
          size="small"
          aria-label={label}
          aria-haspopup="true"
          aria-controls={anchor ? menuId : undefined}
          aria-expanded={anchor ? 'true' : undefined}
          onClick={event => setAnchor(event.currentTarget)}
        >
          <MoreVert />
        </IconButton>
      </Tooltip>
      <Menu
        id={menuId}
        anchorEl={anchor}
        keepMounted={false}
        open={Boolean(anchor)}
        onClose={() => setAnchor(null)}
      >
        {props.items.map(item => (
          // Focusable but inert: the item is there to say why the action is not possible now.
          <MenuItem
            key={item.action}
            aria-disabled="true"
            className={classes.menuItem}
          >
            <ListItemText
              primary={`${ACTION_LABELS[item.action]}: not possible now`}
              secondary={item.reason ?? 'Not possible in the current state.'}
              secondaryTypographyProps={{ className: classes.menuReason }}
            />
          </MenuItem>
        ))}
      </Menu>
    </>
  );
}

function PendingLine(props: {
  pending: PendingAction;
  summary: CanarySummary;
  id: string;
  lineRef: Ref<HTMLElement>;
  onDismiss: () => void;
}) {
  const classes = useStyles();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);
  const waitedMs = now - props.pending.requestedAt;
  const slow = waitedMs > patienceMs(props.summary);
  return (
    <Box className={classes.line}>
      <CircularProgress size={16} aria-hidden />
      <Typography
        variant="body2"
        role="status"
        id={props.id}
        ref={props.lineRef}
        tabIndex={-1}
      >
        {ACTION_LABELS[props.pending.action]} recorded. Waiting for Flagger…{' '}
        <Typography component="span" variant="body2" color="textSecondary">
          {slow
            ? `Not picked up after ${humanDuration(
                waitedMs / 1000,
              )}. Flagger asks at each analysis tick (every ${
                props.summary.intervalSeconds
              }s); check that Flagger runs in ${
                props.summary.ref.cluster
              } and can reach the portal's webhooks.`
            : props.pending.response.message}
        </Typography>
      </Typography>
      <Button size="small" onClick={props.onDismiss}>
        Dismiss
      </Button>
    </Box>
  );
}

/**
 * Promote, roll back, pause/resume and approve, each behind a confirmation dialog. Only the
 * actions that apply now are buttons; the others are explained in one menu. A missing
 * permission is said once for the row.
 */
export function CanaryActions(props: {
  summary: CanarySummary;
  entityRef: string;
}) {
  const { summary, entityRef } = props;
  const classes = useStyles();
  const api = useApi(progressiveDeliveryApiRef);
  const permissions = useActionPermissions(entityRef);
  const [open, setOpen] = useState<CanaryAction>();
  const [pending, setPending] = useState<PendingAction>();
  const [applied, setApplied] = useState<AppliedAction>();
  const pendingLine = useRef<HTMLElement>(null);
  const focusPendingLine = useRef(false);

  useEffect(() => {
    if (pending && isActionSeen(pending, summary)) {
      setApplied(appliedFrom(pending, summary));
      setPending(undefined);
    }
  }, [pending, summary]);

  useEffect(() => {
    // After a confirmation the dialog's button is gone: keep keyboard users where the news is.
    if (pending && focusPendingLine.current) {
      focusPendingLine.current = false;
      pendingLine.current?.focus();
    }
  }, [pending]);

  const plan = planActions(summary);
  const offered = [...plan.buttons, ...plan.menu].map(a => a.action);
  const rowId = canaryRowId(summary.ref);
  const permissionId = `${rowId}-permission`;
  const pendingId = `${rowId}-pending`;
  const noPermission = permissionSentence(offered, permissions);
  // When the canary side does not name this entity, every action carries the same refusal:
  // say it once for the row instead of "Nothing to decide now".
  const steeringOff = summary.actions.find(a => a.steeringOff)?.reason;

  const heldBy = (action: CanaryAction) => {
    const permission = permissions[action];
    if (permission.loading) {
      return { text: 'Checking your permissions…', id: permissionId };
    }
    if (!permission.allowed) {
      return {
        text: noPermission ?? 'You do not have permission.',
        id: permissionId,
      };
    }
    if (pending) {
      return {
        text: 'Waiting for Flagger to apply the previous decision.',
        id: pendingId,
      };
    }
    return undefined;
  };

  const confirm = async (action: CanaryAction, comment: string) => {
    const response = await api.act(summary.ref, action, { entityRef, comment });
    focusPendingLine.current = true;
    setOpen(undefined);
    setApplied(undefined);
    setPending(pendingFrom(action, response, summary));
  };

  const checking = offered.some(action => permissions[action].loading);
  const outcome =
    applied && !pending && hasMovedPast(applied, summary)
      ? describeOutcome(
          applied,
          summary,
          relativeTime(new Date(applied.requestedAt).toISOString()),
        )
      : undefined;
  return (
    <Box minWidth={0}>
      <Box
        className={classes.bar}
        role="group"
        aria-label={`Actions for ${summary.ref.name} in ${summary.ref.cluster}`}
      >
        {plan.buttons.map(availability => (
          <ActionButton
            key={availability.action}
            availability={availability}
            heldBy={heldBy(availability.action)}
            onClick={() => setOpen(availability.action)}
          />
        ))}
        {plan.buttons.length === 0 && !steeringOff && (
          <Typography variant="body2" color="textSecondary">
            Nothing to decide now.
          </Typography>
        )}
        {steeringOff && (
          <Typography
            variant="body2"
            color="textSecondary"
            id={`${rowId}-steering`}
          >
            {steeringOff}
          </Typography>
        )}
        {plan.menu.length > 0 && (
          <NotNowMenu summary={summary} items={plan.menu} />
        )}
      </Box>
      {(noPermission || checking) && (
        <Typography
          variant="body2"
          color="textSecondary"
          id={permissionId}
          className={classes.line}
        >
          {noPermission ?? 'Checking your permissions…'}
        </Typography>
      )}
      {pending && (
        <PendingLine
          pending={pending}
          summary={summary}
          id={pendingId}
          lineRef={pendingLine}
          onDismiss={() => setPending(undefined)}
        />
      )}
      {!pending && applied && !hasMovedPast(applied, summary) && (
        <Typography variant="body2" role="status" className={classes.line}>
          {ACTION_LABELS[applied.action]}: Flagger applied it.{' '}
          {summary.state.headline}.
        </Typography>
      )}
      {outcome && (
        <Typography
          variant="body2"
          role="status"
          color="textSecondary"
          className={classes.line}
        >
          {outcome}
        </Typography>
      )}
      {open && (
        <ActionDialog
          open
          action={open}
          summary={summary}
          availability={summary.actions.find(a => a.action === open)}
          onCancel={() => setOpen(undefined)}
          onConfirm={comment => confirm(open, comment)}
        />
      )}
    </Box>
  );
}
