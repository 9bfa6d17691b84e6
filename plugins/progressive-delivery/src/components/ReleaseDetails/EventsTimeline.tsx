import {
  Box,
  List,
  ListItem,
  ListItemIcon,
  ListItemText,
  Typography,
  makeStyles,
} from '@material-ui/core';
import CheckCircle from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HourglassEmpty from '@material-ui/icons/HourglassEmpty';
import InfoOutlined from '@material-ui/icons/InfoOutlined';
import LockOpen from '@material-ui/icons/LockOpen';
import NewReleases from '@material-ui/icons/NewReleases';
import PauseCircleOutline from '@material-ui/icons/PauseCircleOutline';
import PlayCircleOutline from '@material-ui/icons/PlayCircleOutline';
import TrendingUp from '@material-ui/icons/TrendingUp';
import Undo from '@material-ui/icons/Undo';
import {
  CanaryEvent,
  CanaryEventCategory,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { absoluteTime, relativeTime } from '../../utils/format';

const useStyles = makeStyles(theme => ({
  warning: { color: theme.palette.warning.main },
  error: { color: theme.palette.error.main },
  ok: { color: theme.palette.success?.main ?? theme.palette.primary.main },
  neutral: { color: theme.palette.text.secondary },
  category: { fontWeight: 600, marginRight: theme.spacing(1) },
}));

export const EVENT_CATEGORIES: Record<
  CanaryEventCategory,
  {
    label: string;
    Icon: typeof InfoOutlined;
    tone: 'ok' | 'warning' | 'error' | 'neutral';
  }
> = {
  'new-revision': { label: 'New revision', Icon: NewReleases, tone: 'neutral' },
  initialization: {
    label: 'Started',
    Icon: PlayCircleOutline,
    tone: 'neutral',
  },
  advance: { label: 'Advanced', Icon: TrendingUp, tone: 'ok' },
  halt: { label: 'Halted', Icon: PauseCircleOutline, tone: 'warning' },
  'gate-wait': {
    label: 'Waiting at gate',
    Icon: HourglassEmpty,
    tone: 'warning',
  },
  'gate-pass': { label: 'Gate passed', Icon: LockOpen, tone: 'ok' },
  promotion: { label: 'Promotion', Icon: CheckCircle, tone: 'ok' },
  rollback: { label: 'Rollback', Icon: Undo, tone: 'error' },
  failure: { label: 'Failure', Icon: ErrorIcon, tone: 'error' },
  other: { label: 'Other', Icon: InfoOutlined, tone: 'neutral' },
};

/** Kubernetes events of the canary, newest first, each with an icon and a category in words. */
export function EventsTimeline(props: { events: CanaryEvent[] }) {
  const classes = useStyles();
  const events = [...props.events].sort(
    (a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen),
  );
  if (events.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No events. Kubernetes keeps events for about an hour; older steps are in
        the rollout history.
      </Typography>
    );
  }
  return (
    <Box>
      <List dense aria-label="Canary events, newest first">
        {events.map((event, index) => {
          const category =
            EVENT_CATEGORIES[event.category] ?? EVENT_CATEGORIES.other;
          const { Icon } = category;
          const tone =
            event.type === 'Warning' && category.tone === 'neutral'
              ? 'warning'
              : category.tone;
          return (
            <ListItem
              key={`${event.lastSeen}-${index}`}
              alignItems="flex-start"
              divider
            >
              <ListItemIcon>
                <Icon className={classes[tone]} aria-hidden />
              </ListItemIcon>
              <ListItemText
                primary={
                  <>
                    <span className={classes.category}>{category.label}</span>
                    {event.message}
                  </>
                }
                secondary={
                  <span title={absoluteTime(event.lastSeen)}>
                    {event.type === 'Warning' ? 'Warning · ' : ''}
                    {relativeTime(event.lastSeen)}
                    {event.count > 1
                      ? ` · ${event.count} times since ${relativeTime(
                          event.firstSeen,
                        )}`
                      : ''}
                  </span>
                }
              />
            </ListItem>
          );
        })}
      </List>
      <Typography variant="caption" color="textSecondary">
        Kubernetes keeps events for about an hour; older steps are in the
        rollout history.
      </Typography>
    </Box>
  );
}
