import { Box, Button, Typography, makeStyles } from '@material-ui/core';
import Refresh from '@material-ui/icons/Refresh';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  CanarySummary,
  isProgressiveDeliveryAvailable,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { useCanaries, UseCanariesOptions } from '../hooks/useCanaries';
import { relativeTime } from '../utils/format';
import {
  AnnotationProblem,
  annotationErrorMessage,
  isAnnotationError,
  MissingAnnotations,
  NoCanaries,
} from './EmptyStates/EmptyStates';
import { LiveIndicator } from './LiveIndicator';
import { ClusterSection } from './ReleaseOverview/ClusterSection';
import {
  MATRIX_THRESHOLD,
  ReleaseMatrix,
} from './ReleaseOverview/ReleaseMatrix';
import { Notice } from './shared/Notice';

const useStyles = makeStyles(theme => ({
  // A column with gaps; MUI's Grid spacing would stick out by half a gap on each side.
  stack: {
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(3),
    minWidth: 0,
  },
  toolbar: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1.5),
    flexWrap: 'wrap',
    marginBottom: theme.spacing(2),
  },
}));

/**
 * Clusters in the backend's order, then any cluster only the canaries mention.
 *
 * @public
 */
export function groupByCluster(
  items: CanarySummary[],
  clusterNames: string[],
): Array<{ name: string; canaries: CanarySummary[] }> {
  const names = [...clusterNames];
  items.forEach(item => {
    if (!names.includes(item.ref.cluster)) {
      names.push(item.ref.cluster);
    }
  });
  return names.map(name => ({
    name,
    canaries: items
      .filter(item => item.ref.cluster === name)
      .sort((a, b) =>
        `${a.ref.namespace}/${a.ref.name}`.localeCompare(
          `${b.ref.namespace}/${b.ref.name}`,
        ),
      ),
  }));
}

/**
 * Props of {@link EntityProgressiveDeliveryContent}.
 *
 * @public
 */
export interface ProgressiveDeliveryContentProps {
  /** Tuning of the live updates; the defaults suit production. */
  liveUpdates?: UseCanariesOptions;
}

function Releases(props: { entity: Entity } & ProgressiveDeliveryContentProps) {
  const classes = useStyles();
  const entityRef = stringifyEntityRef(props.entity);
  const state = useCanaries(entityRef, props.liveUpdates);
  const { value, error } = state;

  if (error) {
    if (isAnnotationError(error)) {
      return (
        <AnnotationProblem
          entity={props.entity}
          message={annotationErrorMessage(error)}
        />
      );
    }
    return (
      <ResponseErrorPanel error={error} title="Could not load the canaries" />
    );
  }
  if (!value) {
    return <Progress />;
  }

  // Clusters that are down or have no canaries of this entity are only worth a section when they matter.
  const relevantClusters = value.clusters
    .filter(
      cluster =>
        cluster.status !== 'ok' ||
        value.items.some(item => item.ref.cluster === cluster.name),
    )
    .map(cluster => cluster.name);
  const groups = groupByCluster(value.items, relevantClusters);
  const clusterByName = new Map(
    value.clusters.map(cluster => [cluster.name, cluster]),
  );
  return (
    <Box component="section" aria-labelledby="pd-releases-heading" minWidth={0}>
      <Box className={classes.toolbar}>
        <Typography variant="h5" component="h2" id="pd-releases-heading">
          Releases
        </Typography>
        <LiveIndicator connection={state.connection} />
        {state.updatedAt && (
          // Secondary text on the page's grey background falls just short of 4.5:1 contrast.
          <Typography variant="body2" color="textPrimary">
            Updated {relativeTime(state.updatedAt.toISOString())}
          </Typography>
        )}
        <Box flex={1} />
        <Button
          size="small"
          startIcon={<Refresh />}
          onClick={state.refresh}
          disabled={state.loading}
        >
          Refresh
        </Button>
      </Box>
      {state.refreshError && (
        <Box mb={2}>
          <Notice
            severity="warning"
            title="Could not refresh; showing the last loaded state"
          >
            {state.refreshError.message}
          </Notice>
        </Box>
      )}
      {value.items.length === 0 &&
      groups.every(group => group.canaries.length === 0) ? (
        <Box className={classes.stack}>
          {groups.map(group => (
            <ClusterSection
              key={group.name}
              name={group.name}
              cluster={clusterByName.get(group.name)}
              canaries={[]}
              entityRef={entityRef}
            />
          ))}
          <NoCanaries selector={value.selector} clusters={value.clusters} />
        </Box>
      ) : (
        <Box className={classes.stack}>
          {value.items.length > MATRIX_THRESHOLD && (
            <ReleaseMatrix
              canaries={value.items}
              clusters={groups.map(group => group.name)}
            />
          )}
          {groups.map((group, index) => (
            <ClusterSection
              key={group.name}
              name={group.name}
              cluster={clusterByName.get(group.name)}
              canaries={group.canaries}
              entityRef={entityRef}
              lastMessage={state.lastMessage}
              expandFirst={index === 0 && value.items.length === 1}
              deferRows={value.items.length > MATRIX_THRESHOLD}
            />
          ))}
        </Box>
      )}
    </Box>
  );
}

/**
 * The "Progressive Delivery" entity tab.
 *
 * @public
 */
export function ProgressiveDeliveryContent(
  props: ProgressiveDeliveryContentProps,
) {
  const { entity } = useEntity();
  if (!isProgressiveDeliveryAvailable(entity)) {
    return <MissingAnnotations entity={entity} />;
  }
  return <Releases entity={entity} liveUpdates={props.liveUpdates} />;
}
