import { ANNOTATION_KUBERNETES_ID } from '@progressive-delivery/plugin-progressive-delivery-common';
import { ActionAvailability } from '@progressive-delivery/plugin-progressive-delivery-common';
import { SteeringConfig } from '../config';
import { WatchedCanary } from '../types';

/** What the binding needs to know of the entity a canary is steered through. */
export interface SteeringEntity {
  /** Canonical ref, e.g. component:default/checkout. */
  ref: string;
  /** `metadata.name`: the value `backstage.io/kubernetes-id` carries. */
  name: string;
  /** Canonical ref of `spec.owner`, when the entity has one. */
  owner?: string;
}

export interface SteeringRefusal {
  kind: NonNullable<ActionAvailability['steeringOff']>;
  reason: string;
}

type Obj = Record<string, any>;

function namedIds(object: Obj | undefined): string[] {
  const metadata = object?.metadata ?? {};
  return [
    metadata.labels?.[ANNOTATION_KUBERNETES_ID],
    metadata.annotations?.[ANNOTATION_KUBERNETES_ID],
  ].filter((value): value is string => typeof value === 'string');
}

/**
 * Steering needs both sides. The entity's annotations decide what an entity shows (anyone who
 * can register an entity can write them), so they never decide alone who may promote or roll
 * back: the canary side must name the entity too, through `backstage.io/kubernetes-id` on the
 * Canary or its target Deployment (the label Backstage's Kubernetes plugin reads; on TAP it goes
 * on the Workload, whose labels the supply chain carries to the Deployment), or an administrator
 * grants the entity (or its owner) the canary's cluster namespace in config. How the entity
 * selected the canary (workload name, label selector, explicit reference) grants nothing.
 */
export class SteeringPolicy {
  constructor(private readonly config: SteeringConfig) {}

  /** Why `entity` may not steer `watched`, or undefined when it may. */
  refusal(
    watched: WatchedCanary,
    entity: SteeringEntity,
  ): SteeringRefusal | undefined {
    const { config } = this;
    if (
      !config.permissionFrameworkEnabled &&
      !config.allowWithoutPermissionFramework
    ) {
      return {
        kind: 'permission-framework',
        reason:
          'Steering is off in this portal: the permission framework is not enabled, so it cannot tell who may promote or roll back. An administrator sets permission.enabled: true with a policy, or progressiveDelivery.steering.allowWithoutPermissionFramework: true to let every signed-in user steer every release.',
      };
    }
    const { cluster, namespace, name } = watched.ref;
    const granted = config.grants.some(
      grant =>
        grant.cluster === cluster &&
        grant.namespace === namespace &&
        (grant.entities.includes(entity.ref) ||
          (entity.owner !== undefined && grant.owners.includes(entity.owner))),
    );
    if (granted) return undefined;
    const named = [...namedIds(watched.object), ...namedIds(watched.target)];
    if (named.includes(entity.name)) return undefined;
    const target = watched.object.spec?.targetRef?.name ?? name;
    const others = [...new Set(named)];
    const says = others.length
      ? ` The canary side names ${others
          .map(id => `${ANNOTATION_KUBERNETES_ID}=${id}`)
          .join(', ')}, not ${entity.name}.`
      : '';
    return {
      kind: 'binding',
      reason: `Steering through ${entity.ref} is off: canary ${namespace}/${name} in cluster ${cluster} does not name this entity.${says} Add the label ${ANNOTATION_KUBERNETES_ID}: ${entity.name} to the Canary or its Deployment ${target} (on TAP, to the Workload's metadata.labels), or have an administrator list ${entity.ref} under progressiveDelivery.steering.namespaces for cluster ${cluster}, namespace ${namespace}.`,
    };
  }

  /** The actions with steering switched off, each saying why, when the entity may not steer. */
  static applyTo(
    actions: ActionAvailability[],
    refusal: SteeringRefusal | undefined,
  ): ActionAvailability[] {
    if (!refusal) return actions;
    return actions.map(availability => ({
      ...availability,
      applicable: false,
      reason: refusal.reason,
      steeringOff: refusal.kind,
    }));
  }
}
