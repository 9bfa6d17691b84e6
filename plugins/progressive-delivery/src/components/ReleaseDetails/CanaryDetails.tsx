import { useEffect, useRef, useState } from 'react';
import { Box, Tab, Tabs, Typography, makeStyles } from '@material-ui/core';
import { Link, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  CanarySummary,
  ClusterStatus,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../../api';
import { canaryKey, sameRef } from '../../utils/format';
import { stringify as toYaml } from 'yaml';
import { CopyButton } from '../shared/CopyButton';
import { Notice } from '../shared/Notice';
import { EventsTimeline } from './EventsTimeline';
import { MetricsPanel } from './MetricsPanel';
import { RolloutHistory } from './RolloutHistory';

const useStyles = makeStyles(theme => ({
  tabs: { borderBottom: `1px solid ${theme.palette.divider}` },
  panel: { padding: theme.spacing(2, 0) },
  links: {
    display: 'flex',
    gap: theme.spacing(2),
    flexWrap: 'wrap',
    marginTop: theme.spacing(1),
  },
  manifest: {
    display: 'flex',
    alignItems: 'flex-start',
    gap: theme.spacing(0.5),
    background: theme.palette.background.default,
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
    padding: theme.spacing(1, 1.5),
  },
  manifestText: {
    flex: 1,
    minWidth: 0,
    margin: 0,
    color: theme.palette.text.primary,
    fontFamily: 'monospace',
    fontSize: '0.8125rem',
    whiteSpace: 'pre-wrap',
    overflowWrap: 'anywhere',
  },
  gates: { margin: theme.spacing(1, 0, 0), paddingLeft: theme.spacing(2.5) },
}));

const TABS = ['analysis', 'events', 'history', 'manifest'] as const;
type DetailsTab = (typeof TABS)[number];
const TAB_LABELS: Record<DetailsTab, string> = {
  analysis: 'Analysis',
  events: 'Events',
  history: 'History',
  manifest: 'YAML',
};

/** True when a stream message may change what the details show. */
export function concernsCanary(
  message: StreamMessage | undefined,
  summary: CanarySummary,
): boolean {
  if (!message) {
    return false;
  }
  if (message.ref) {
    return sameRef(message.ref, summary.ref);
  }
  return (
    message.cluster === undefined || message.cluster === summary.ref.cluster
  );
}

function Gates(props: { summary: CanarySummary }) {
  const classes = useStyles();
  const hooks = props.summary.webhooks;
  if (hooks.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No webhooks configured, so the portal cannot gate this canary.
      </Typography>
    );
  }
  return (
    <ul className={classes.gates}>
      {hooks.map(hook => (
        <li key={`${hook.type}-${hook.name}`}>
          <Typography variant="body2">
            <strong>{hook.type || 'rollout'}</strong> {hook.name} –{' '}
            {hook.servedByPortal
              ? 'decided in this portal'
              : `external (${hook.url})`}
          </Typography>
        </li>
      ))}
    </ul>
  );
}

/** The Canary as YAML in the theme's own text colour (a syntax theme's colours fail contrast on either background). */
function Manifest(props: { yaml: string; name: string }) {
  const classes = useStyles();
  return (
    <Box className={classes.manifest}>
      <pre className={classes.manifestText}>{props.yaml}</pre>
      <CopyButton text={props.yaml} label={`Copy the YAML of ${props.name}`} />
    </Box>
  );
}

/** Everything about one canary: analysis with charts, events, rollout history and its YAML. */
export function CanaryDetails(props: {
  summary: CanarySummary;
  entityRef: string;
  cluster?: ClusterStatus;
  lastMessage?: StreamMessage;
}) {
  const { summary, entityRef, cluster, lastMessage } = props;
  const classes = useStyles();
  const api = useApi(progressiveDeliveryApiRef);
  const [tab, setTab] = useState<DetailsTab>('analysis');
  const details = useAsyncRetry(
    () => api.getCanary(summary.ref, entityRef),
    [
      api,
      entityRef,
      summary.ref.cluster,
      summary.ref.namespace,
      summary.ref.name,
    ],
  );
  const retry = useRef(details.retry);
  retry.current = details.retry;
  useEffect(() => {
    if (concernsCanary(lastMessage, summary)) {
      retry.current();
    }
    // Only a new message should reload, not a new summary object.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lastMessage]);

  const idBase = `pd-details-${canaryKey(summary.ref).replace(
    /[^a-zA-Z0-9-]/g,
    '-',
  )}`;
  return (
    <Box>
      <Tabs
        value={tab}
        onChange={(_, value) => setTab(value)}
        indicatorColor="primary"
        textColor="primary"
        className={classes.tabs}
        aria-label={`Details of ${summary.ref.name}`}
        variant="scrollable"
      >
        {TABS.map(value => (
          <Tab
            key={value}
            value={value}
            label={TAB_LABELS[value]}
            id={`${idBase}-tab-${value}`}
            aria-controls={`${idBase}-panel-${value}`}
          />
        ))}
      </Tabs>
      <Box
        role="tabpanel"
        id={`${idBase}-panel-${tab}`}
        aria-labelledby={`${idBase}-tab-${tab}`}
        className={classes.panel}
      >
        {tab === 'analysis' && (
          <>
            <MetricsPanel
              summary={summary}
              entityRef={entityRef}
              cluster={cluster}
            />
            <Typography
              variant="subtitle2"
              component="h4"
              style={{ marginTop: 16 }}
            >
              Webhooks and gates
            </Typography>
            <Gates summary={summary} />
          </>
        )}
        {tab === 'events' && <EventsTimeline events={summary.events} />}
        {(tab === 'history' || tab === 'manifest') &&
          details.loading &&
          !details.value && <Progress />}
        {(tab === 'history' || tab === 'manifest') && details.error && (
          <Notice severity="error" title="Could not load the canary's details">
            {details.error.message}
          </Notice>
        )}
        {tab === 'history' && details.value && (
          <RolloutHistory records={details.value.history} />
        )}
        {tab === 'manifest' && details.value && (
          <Manifest
            yaml={toYaml(details.value.manifest)}
            name={summary.ref.name}
          />
        )}
      </Box>
      <Box className={classes.links}>
        <Link to="../kubernetes">
          Pods and deployments in the Kubernetes tab
        </Link>
      </Box>
    </Box>
  );
}
