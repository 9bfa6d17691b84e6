import { ResponseError } from '@backstage/errors';
import { Box, Typography } from '@material-ui/core';
import { CodeSnippet, EmptyState, InfoCard } from '@backstage/core-components';
import { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_CANARIES,
  ANNOTATION_WORKLOAD_NAME,
  CanarySelector,
  ClusterStatus,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { Notice } from '../shared/Notice';

/** The annotation block to add to catalog-info.yaml, with both forms. */
export function annotationExample(entity?: Entity): string {
  const name = entity?.metadata.name ?? 'my-service';
  return [
    'metadata:',
    '  annotations:',
    '    # Either: the TAP Workload (or Deployment) name the Canary targets',
    `    ${ANNOTATION_WORKLOAD_NAME}: ${name}`,
    '    # Or: explicit canaries as [<cluster>/]<namespace>/<name>, comma-separated',
    `    ${ANNOTATION_CANARIES}: prod/${name}/${name},dev/${name}/${name}`,
    '',
  ].join('\n');
}

export function MissingAnnotations(props: { entity?: Entity }) {
  return (
    <EmptyState
      missing="field"
      title="Connect this entity to its Flagger canaries"
      description="The Progressive Delivery tab shows the Flagger canary and blue-green releases of an entity once its catalog-info.yaml says which canaries belong to it. Add one of these annotations:"
      action={
        <Box maxWidth={720}>
          <CodeSnippet
            text={annotationExample(props.entity)}
            language="yaml"
            showCopyCodeButton
          />
          <Typography variant="body2" style={{ marginTop: 8 }}>
            With <code>{ANNOTATION_WORKLOAD_NAME}</code>, the tab finds canaries
            whose target or
            <code> carto.run/workload-name</code> label matches, in every
            configured cluster;
            <code> backstage.io/kubernetes-namespace</code> narrows that to one
            namespace.
          </Typography>
        </Box>
      }
    />
  );
}

/** Whether the backend refused the entity's annotations as malformed (400). */
export function isAnnotationError(error: Error): error is ResponseError {
  return (error as ResponseError).response?.status === 400;
}

/** The backend's words for a malformed annotation. */
export function annotationErrorMessage(error: ResponseError): string {
  return error.body?.error?.message ?? error.message;
}

/** The backend said the annotations are malformed (400). */
export function AnnotationProblem(props: { message: string; entity?: Entity }) {
  return (
    <InfoCard title="The entity's progressive-delivery annotations need fixing">
      <Notice severity="error" title="The annotation could not be read">
        {props.message}
      </Notice>
      <Box mt={2}>
        <Typography variant="body2" paragraph>
          Both forms, for reference:
        </Typography>
        <CodeSnippet
          text={annotationExample(props.entity)}
          language="yaml"
          showCopyCodeButton
        />
      </Box>
    </InfoCard>
  );
}

export function describeSelector(selector: CanarySelector): string[] {
  const lines: string[] = [];
  if (selector.workloadNames.length) {
    lines.push(
      `Canaries whose target or workload is named ${selector.workloadNames.join(
        ', ',
      )}${
        selector.namespace
          ? ` in namespace ${selector.namespace}`
          : ' in any namespace'
      }`,
    );
  }
  for (const ref of selector.canaries) {
    lines.push(
      `Canary ${ref.namespace}/${ref.name} ${
        ref.cluster ? `in cluster ${ref.cluster}` : 'in every cluster'
      }`,
    );
  }
  if (selector.labelSelector) {
    lines.push(`Label selector ${selector.labelSelector}`);
  }
  return lines;
}

function searchedText(cluster: ClusterStatus): string {
  switch (cluster.status) {
    case 'ok':
      return 'searched';
    case 'syncing':
      return 'still connecting, not searched yet';
    default:
      return `unreachable (${
        cluster.error ?? 'no reason given'
      }), not searched`;
  }
}

export function NoCanaries(props: {
  selector: CanarySelector;
  clusters: ClusterStatus[];
}) {
  const { selector, clusters } = props;
  return (
    <EmptyState
      missing="data"
      title="No canaries found for this entity"
      description="Nothing matched the entity's annotations in the clusters the backend watches."
      action={
        <Box>
          <Typography variant="body1">We looked for:</Typography>
          <ul>
            {describeSelector(selector).map(line => (
              <li key={line}>
                <Typography variant="body2">{line}</Typography>
              </li>
            ))}
          </ul>
          <Typography variant="body1">in these clusters:</Typography>
          <ul>
            {clusters.map(cluster => (
              <li key={cluster.name}>
                <Typography variant="body2">
                  {cluster.title ?? cluster.name}: {searchedText(cluster)}
                </Typography>
              </li>
            ))}
            {clusters.length === 0 && (
              <li>
                <Typography variant="body2">
                  none: the backend has no clusters configured
                </Typography>
              </li>
            )}
          </ul>
          <Typography variant="body2">
            Check that a Flagger Canary exists (
            <code>kubectl get canaries -A</code>) and that its name, namespace
            or target matches the annotations.
          </Typography>
        </Box>
      }
    />
  );
}
