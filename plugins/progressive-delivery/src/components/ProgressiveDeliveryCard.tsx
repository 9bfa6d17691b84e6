import { Box, Divider, Typography } from '@material-ui/core';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { isProgressiveDeliveryAvailable } from '@progressive-delivery/plugin-progressive-delivery-common';
import { useCanaries } from '../hooks/useCanaries';
import { canaryKey, waitingForText } from '../utils/format';
import {
  annotationErrorMessage,
  isAnnotationError,
  MissingAnnotations,
} from './EmptyStates/EmptyStates';
import { Notice } from './shared/Notice';
import { describeTraffic } from './ReleaseOverview/TrafficProgress';
import { ToneStatus } from './shared/StateStatus';

/**
 * Props of {@link EntityProgressiveDeliveryCard}.
 *
 * @public
 */
export interface ProgressiveDeliveryCardProps {
  /** Where the tab lives relative to the overview page. */
  tabPath?: string;
  /** Show at most this many canaries. */
  maxItems?: number;
}

function CardBody(props: { entityRef: string; maxItems: number }) {
  const { value, error } = useCanaries(props.entityRef);
  if (error) {
    if (isAnnotationError(error)) {
      return (
        <Notice
          severity="warning"
          title="The entity's progressive-delivery annotations need fixing"
        >
          {annotationErrorMessage(error)}
        </Notice>
      );
    }
    return (
      <ResponseErrorPanel error={error} title="Could not load the canaries" />
    );
  }
  if (!value) {
    return <Progress />;
  }
  if (value.items.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No canaries found for this entity.
      </Typography>
    );
  }
  const items = value.items.slice(0, props.maxItems);
  return (
    <Box>
      {items.map((summary, index) => {
        const traffic = describeTraffic(summary);
        const waiting = waitingForText(summary);
        return (
          <Box key={canaryKey(summary.ref)}>
            {index > 0 && <Divider style={{ margin: '12px 0' }} />}
            <Typography variant="subtitle2" component="h3">
              {summary.ref.name}{' '}
              <Typography
                component="span"
                variant="body2"
                color="textSecondary"
              >
                in {summary.ref.cluster}/{summary.ref.namespace}
                {summary.fresh ? '' : ' (stale: cluster unreachable)'}
              </Typography>
            </Typography>
            <ToneStatus tone={summary.state.tone}>
              {summary.state.headline}
            </ToneStatus>
            <Typography variant="body2" color="textSecondary">
              {traffic.label}
              {traffic.detail ? ` · ${traffic.detail}` : ''}
            </Typography>
            {waiting && (
              <Typography variant="body2" style={{ fontWeight: 600 }}>
                {waiting}
              </Typography>
            )}
          </Box>
        );
      })}
      {value.items.length > items.length && (
        <Typography
          variant="body2"
          color="textSecondary"
          style={{ marginTop: 8 }}
        >
          and {value.items.length - items.length} more
        </Typography>
      )}
    </Box>
  );
}

/**
 * A small overview card with the entity's current releases.
 *
 * @public
 */
export function ProgressiveDeliveryCard(props: ProgressiveDeliveryCardProps) {
  const { entity } = useEntity();
  const available = isProgressiveDeliveryAvailable(entity);
  return (
    <InfoCard
      title="Progressive delivery"
      deepLink={
        available
          ? {
              title: 'Open releases',
              link: props.tabPath ?? './progressive-delivery',
            }
          : undefined
      }
    >
      {available ? (
        <CardBody
          entityRef={stringifyEntityRef(entity)}
          maxItems={props.maxItems ?? 3}
        />
      ) : (
        <MissingAnnotations entity={entity} />
      )}
    </InfoCard>
  );
}
