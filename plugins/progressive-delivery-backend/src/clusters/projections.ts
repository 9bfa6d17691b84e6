/*
 * What the watch caches keep of each object. With 10,000 canaries over 20 clusters the
 * caches hold tens of thousands of Deployments and Events, so everything the plugin never
 * reads is dropped on the way in (managedFields alone is often half of an object).
 */

type Obj = Record<string, any>;

/** The object without `metadata.managedFields` (the same object when it has none). */
export function withoutManagedFields<T extends Obj>(object: T): T {
  if (!object?.metadata?.managedFields) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/** Canaries are kept whole (the details page shows the manifest), minus managedFields. */
export function projectCanary(canary: Obj): Obj {
  return withoutManagedFields(canary);
}

/** MetricTemplates are small; only managedFields goes. */
export function projectMetricTemplate(template: Obj): Obj {
  return withoutManagedFields(template);
}

function identity(metadata: Obj | undefined): Obj {
  return {
    name: metadata?.name,
    namespace: metadata?.namespace,
    uid: metadata?.uid,
    resourceVersion: metadata?.resourceVersion,
    creationTimestamp: metadata?.creationTimestamp,
  };
}

/**
 * Deployments: identity, labels (for `carto.run/workload-name`), replica counts and conditions,
 * and the containers' names and images.
 */
export function projectDeployment(deployment: Obj): Obj {
  const spec = deployment.spec ?? {};
  const template = spec.template ?? {};
  return {
    apiVersion: deployment.apiVersion ?? 'apps/v1',
    kind: deployment.kind ?? 'Deployment',
    metadata: {
      ...identity(deployment.metadata),
      generation: deployment.metadata?.generation,
      labels: deployment.metadata?.labels,
      // The one annotation read: it binds the Deployment to the entity that may steer it.
      ...(deployment.metadata?.annotations?.['backstage.io/kubernetes-id']
        ? {
            annotations: {
              'backstage.io/kubernetes-id':
                deployment.metadata.annotations['backstage.io/kubernetes-id'],
            },
          }
        : {}),
    },
    spec: {
      replicas: spec.replicas,
      template: {
        metadata: { labels: template.metadata?.labels },
        spec: {
          containers: (template.spec?.containers ?? []).map(
            (container: Obj) => ({
              name: container.name,
              image: container.image,
            }),
          ),
        },
      },
    },
    status: deployment.status
      ? {
          observedGeneration: deployment.status.observedGeneration,
          replicas: deployment.status.replicas,
          updatedReplicas: deployment.status.updatedReplicas,
          readyReplicas: deployment.status.readyReplicas,
          availableReplicas: deployment.status.availableReplicas,
          conditions: deployment.status.conditions,
        }
      : undefined,
  };
}

/** Events: who they are about, what they say, and when and how often it happened. */
export function projectEvent(event: Obj): Obj {
  return {
    metadata: identity(event.metadata),
    involvedObject: {
      kind: event.involvedObject?.kind,
      namespace: event.involvedObject?.namespace,
      name: event.involvedObject?.name,
      uid: event.involvedObject?.uid,
    },
    reason: event.reason,
    message: event.message,
    type: event.type,
    count: event.count,
    firstTimestamp: event.firstTimestamp,
    lastTimestamp: event.lastTimestamp,
    eventTime: event.eventTime,
    series: event.series
      ? {
          count: event.series.count,
          lastObservedTime: event.series.lastObservedTime,
        }
      : undefined,
  };
}

/** Cartographer Workloads: identity, labels and the image a TAP Workload may pin. */
export function projectWorkload(workload: Obj): Obj {
  return {
    apiVersion: workload.apiVersion,
    kind: workload.kind,
    metadata: {
      ...identity(workload.metadata),
      labels: workload.metadata?.labels,
    },
    spec: { image: workload.spec?.image },
  };
}
