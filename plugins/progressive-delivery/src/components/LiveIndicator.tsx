import { Chip, Tooltip } from '@material-ui/core';
import FiberManualRecord from '@material-ui/icons/FiberManualRecord';
import Sync from '@material-ui/icons/Sync';
import { ConnectionState } from '../hooks/useCanaries';

const LABELS: Record<ConnectionState, string> = {
  live: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
};

const TIPS: Record<ConnectionState, string> = {
  live: 'Changes in the clusters appear here within seconds.',
  connecting: 'Opening the live update channel.',
  reconnecting:
    'The live update channel is down; the page reloads every 30 seconds until it is back.',
};

/** Whether the page follows the backend's push channel, in words and icon. */
export function LiveIndicator(props: { connection: ConnectionState }) {
  const { connection } = props;
  return (
    <Tooltip title={TIPS[connection]}>
      <Chip
        size="small"
        variant="outlined"
        color={connection === 'live' ? 'primary' : 'default'}
        icon={
          connection === 'live' ? (
            <FiberManualRecord fontSize="small" />
          ) : (
            <Sync fontSize="small" />
          )
        }
        label={LABELS[connection]}
        aria-label={`Updates: ${LABELS[connection]} ${TIPS[connection]}`}
      />
    </Tooltip>
  );
}
