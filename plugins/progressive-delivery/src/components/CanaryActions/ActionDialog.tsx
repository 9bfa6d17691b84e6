import { useRef, useState } from 'react';
import {
  Box,
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  TextField,
  Typography,
} from '@material-ui/core';
import { ResponseError } from '@backstage/errors';
import {
  ACTION_LABELS,
  ActionAvailability,
  CanaryAction,
  CanarySummary,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { Notice } from '../shared/Notice';
import { describeAction } from './actionFeedback';

export const COMMENT_MAX_LENGTH = 500;

/** Words for an API error: what went wrong and what to do. */
export function describeActionError(error: Error): {
  title: string;
  message: string;
} {
  const status = (error as ResponseError).response?.status;
  const serverMessage =
    (error as ResponseError).body?.error?.message || error.message;
  switch (status) {
    case 409:
      return {
        title: 'The canary changed, so this action no longer applies',
        message: serverMessage,
      };
    case 403:
      return {
        title: 'You are not allowed to do this',
        message: serverMessage,
      };
    case 400:
      return { title: 'The request was rejected', message: serverMessage };
    case 404:
      return { title: 'The canary was not found', message: serverMessage };
    default:
      return { title: 'The action failed', message: serverMessage };
  }
}

export function ActionDialog(props: {
  open: boolean;
  action: CanaryAction;
  summary: CanarySummary;
  availability?: ActionAvailability;
  onCancel: () => void;
  onConfirm: (comment: string) => Promise<void>;
}) {
  const { action, summary } = props;
  const [comment, setComment] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<Error>();
  const paper = useRef<HTMLDivElement>(null);
  const label = ACTION_LABELS[action];
  const titleId = `pd-action-title-${action}`;
  const descriptionId = `pd-action-description-${action}`;
  const target = `${summary.ref.namespace}/${summary.ref.name}`;

  const close = () => {
    if (submitting) {
      return;
    }
    setError(undefined);
    props.onCancel();
  };

  const confirm = async () => {
    setSubmitting(true);
    setError(undefined);
    try {
      await props.onConfirm(comment);
      setComment('');
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setSubmitting(false);
    }
  };

  const problem = error && describeActionError(error);
  return (
    <Dialog
      open={props.open}
      onClose={close}
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      maxWidth="sm"
      fullWidth
      // Focus the dialog itself (not MUI's backdrop container), so its name and question are read
      // first; but once its fade-in ends, not if the person already moved into it (a fast keyboard
      // user would otherwise lose their place, and an Enter meant for the button would do nothing).
      PaperProps={{ ref: paper, tabIndex: -1 }}
      TransitionProps={{
        onEntered: () => {
          if (!paper.current?.contains(document.activeElement))
            paper.current?.focus();
        },
      }}
    >
      <DialogTitle id={titleId}>
        {label} {target} in {summary.ref.cluster}?
      </DialogTitle>
      <DialogContent>
        <Box id={descriptionId}>
          <DialogContentText color="textPrimary">
            {describeAction(action, summary)}
          </DialogContentText>
          {props.availability?.effect && (
            <DialogContentText>
              <strong>When: </strong>
              {props.availability.effect}
            </DialogContentText>
          )}
        </Box>
        <TextField
          id={`pd-action-comment-${action}`}
          label="Comment (optional)"
          helperText={`Saved with your name in the rollout history. ${comment.length}/${COMMENT_MAX_LENGTH}`}
          multiline
          minRows={2}
          fullWidth
          variant="outlined"
          value={comment}
          onChange={event =>
            setComment(event.target.value.slice(0, COMMENT_MAX_LENGTH))
          }
          disabled={submitting}
        />
        {problem && (
          <Box mt={2} role="alert">
            <Notice severity="error" title={problem.title}>
              {problem.message}
            </Notice>
          </Box>
        )}
      </DialogContent>
      <DialogActions>
        {submitting && (
          <Typography variant="body2" color="textSecondary" role="status">
            Sending…
          </Typography>
        )}
        <Button onClick={close} disabled={submitting}>
          Cancel
        </Button>
        <Button
          onClick={confirm}
          color={action === 'rollback' ? 'secondary' : 'primary'}
          variant="contained"
          disabled={submitting}
          startIcon={
            submitting ? (
              <CircularProgress size={16} color="inherit" />
            ) : undefined
          }
        >
          {label}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
