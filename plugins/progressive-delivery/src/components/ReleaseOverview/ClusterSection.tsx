import { Box, Typography } from '@material-ui/core';
import { InfoCard } from '@backstage/core-components';
import {
  CanarySummary,
  ClusterStatus,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { canaryKey, relativeTime } from '../../utils/format';
import { Notice } from '../shared/Notice';
import { ToneStatus } from '../shared/StateStatus';
import { CanaryRow } from './CanaryRow';

function ClusterHealth(props: { cluster?: ClusterStatus }) {
  const { cluster } = props;
  if (!cluster) {
    return <ToneStatus tone="neutral">Cluster status unknown</ToneStatus>;
  }
  switch (cluster.status) {
    case 'ok':
      return (
        <ToneStatus tone="ok">
          Connected
          {cluster.lastSyncAt
            ? ` · synced ${relativeTime(cluster.lastSyncAt)}`
            : ''}
        </ToneStatus>
      );
    case 'syncing':
      return <ToneStatus tone="progress">Connecting…</ToneStatus>;
    default:
      return <ToneStatus tone="error">Unreachable</ToneStatus>;
  }
}

/** The canaries of one cluster, with the cluster's health and problems said plainly. */
export function ClusterSection(props: {
  name: string;
  cluster?: ClusterStatus;
  canaries: CanarySummary[];
  entityRef: string;
  lastMessage?: StreamMessage;
  expandFirst?: boolean;
  /** Rows fill in as they come near the visible part of the page (for many canaries). */
  deferRows?: boolean;
}) {
  const { cluster, canaries } = props;
  return (
    <InfoCard
      title={`Cluster ${cluster?.title ?? props.name}`}
      subheader={<ClusterHealth cluster={cluster} />}
    >
      {cluster?.status === 'error' && (
        <Box mb={2}>
          <Notice severity="error" title={`Cannot reach cluster ${props.name}`}>
            {cluster.error ?? 'No reason given.'}
            {cluster.lastSyncAt
              ? ` Last contact ${relativeTime(
                  cluster.lastSyncAt,
                )}; canaries below show the state from then.`
              : ' No data from this cluster yet.'}
          </Notice>
        </Box>
      )}
      {cluster?.prometheus.status === 'error' && (
        <Box mb={2}>
          <Notice
            severity="warning"
            title={`Prometheus for cluster ${props.name} does not answer: metrics are unavailable`}
          >
            {cluster.prometheus.error ?? 'No reason given.'} Phases, traffic and
            events still come from Kubernetes.
          </Notice>
        </Box>
      )}
      {canaries.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          {cluster?.status === 'error'
            ? 'No canaries known from this cluster while it is unreachable.'
            : 'No canaries of this entity in this cluster.'}
        </Typography>
      )}
      {canaries.map((summary, index) => (
        <CanaryRow
          key={canaryKey(summary.ref)}
          summary={summary}
          entityRef={props.entityRef}
          cluster={cluster}
          lastMessage={props.lastMessage}
          defaultExpanded={props.expandFirst && index === 0}
          deferred={props.deferRows}
        />
      ))}
    </InfoCard>
  );
}
