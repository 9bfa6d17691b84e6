import { Entity } from '@backstage/catalog-model';

/**
 * Opts an entity in by TAP Workload name(s): `<name>[,<name>...]`.
 *
 * @public
 */
export const ANNOTATION_WORKLOAD_NAME = 'progressive-delivery/workload-name';
/**
 * Opts an entity in by explicit canaries: `[<cluster>/]<namespace>/<name>[,...]`.
 *
 * @public
 */
export const ANNOTATION_CANARIES = 'progressive-delivery/canaries';

/**
 * Backstage Kubernetes plugin annotations, honoured once one of ours opts the entity in.
 *
 * @public
 */
export const ANNOTATION_KUBERNETES_ID = 'backstage.io/kubernetes-id';
/**
 * The Kubernetes plugin's label selector annotation; once the entity opted in, the canaries
 * matching this selector belong to it too.
 *
 * @public
 */
export const ANNOTATION_KUBERNETES_LABEL_SELECTOR =
  'backstage.io/kubernetes-label-selector';
/**
 * The Kubernetes plugin's namespace annotation; once the entity opted in, workload-name
 * matches are looked for in this namespace only.
 *
 * @public
 */
export const ANNOTATION_KUBERNETES_NAMESPACE =
  'backstage.io/kubernetes-namespace';

/**
 * An explicit canary reference from the `progressive-delivery/canaries` annotation.
 *
 * @public
 */
export interface CanaryReference {
  /** Absent means "in every configured cluster". */
  cluster?: string;
  /** The Canary's namespace. */
  namespace: string;
  /** The Canary's name. */
  name: string;
}

/**
 * Which canaries belong to an entity, parsed from its annotations.
 *
 * @public
 */
export interface CanarySelector {
  /** Workload names from `progressive-delivery/workload-name`. */
  workloadNames: string[];
  /** Explicit canaries from `progressive-delivery/canaries`. */
  canaries: CanaryReference[];
  /** From `backstage.io/kubernetes-namespace`: restricts workload-name matches. */
  namespace?: string;
  /** From `backstage.io/kubernetes-label-selector` or `backstage.io/kubernetes-id`. */
  labelSelector?: string;
}

/**
 * Thrown for a malformed annotation; the message names the annotation and the expected form.
 *
 * @public
 */
export class AnnotationError extends Error {
  /** The annotation that is malformed, e.g. `progressive-delivery/canaries`. */
  readonly annotation: string;
  constructor(annotation: string, message: string) {
    super(message);
    this.name = 'AnnotationError';
    this.annotation = annotation;
  }
}

// RFC 1123 label (namespaces, cluster names) and subdomain (object names), as Kubernetes validates them.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * True when the value is a valid Kubernetes object name (an RFC 1123 subdomain).
 *
 * @public
 */
export function isValidKubernetesName(value: string): boolean {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/**
 * True when the value is a valid Kubernetes namespace (an RFC 1123 label).
 *
 * @public
 */
export function isValidKubernetesNamespace(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/**
 * Cluster names come from config; the plugin accepts the same characters as Kubernetes names.
 *
 * @public
 */
export function isValidClusterName(value: string): boolean {
  return (
    value.length <= 253 &&
    /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(value)
  );
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map(part => part.trim())
    .filter(part => part.length > 0);
}

function parseWorkloadNames(value: string): string[] {
  const names = splitList(value);
  if (names.length === 0) {
    throw new AnnotationError(
      ANNOTATION_WORKLOAD_NAME,
      `Annotation ${ANNOTATION_WORKLOAD_NAME} is empty; expected <workload-name>[,<workload-name>...], for example "hello-app"`,
    );
  }
  for (const name of names) {
    if (!isValidKubernetesName(name)) {
      throw new AnnotationError(
        ANNOTATION_WORKLOAD_NAME,
        `Annotation ${ANNOTATION_WORKLOAD_NAME} has "${name}", which is not a valid Kubernetes name; expected <workload-name>[,<workload-name>...] with lower-case letters, digits, '-' and '.'`,
      );
    }
  }
  return names;
}

function parseCanaryReferences(value: string): CanaryReference[] {
  const parts = splitList(value);
  const expected = `expected [<cluster>/]<namespace>/<name>[,...], for example "prod/payments/checkout"`;
  if (parts.length === 0) {
    throw new AnnotationError(
      ANNOTATION_CANARIES,
      `Annotation ${ANNOTATION_CANARIES} is empty; ${expected}`,
    );
  }
  return parts.map(part => {
    const segments = part.split('/');
    if (segments.length < 2 || segments.length > 3) {
      throw new AnnotationError(
        ANNOTATION_CANARIES,
        `Annotation ${ANNOTATION_CANARIES} has "${part}"; ${expected}`,
      );
    }
    const [cluster, namespace, name] =
      segments.length === 3 ? segments : [undefined, ...segments];
    if (cluster !== undefined && !isValidClusterName(cluster)) {
      throw new AnnotationError(
        ANNOTATION_CANARIES,
        `Annotation ${ANNOTATION_CANARIES} has "${part}" whose cluster "${cluster}" is not a valid cluster name; ${expected}`,
      );
    }
    if (!isValidKubernetesNamespace(namespace!)) {
      throw new AnnotationError(
        ANNOTATION_CANARIES,
        `Annotation ${ANNOTATION_CANARIES} has "${part}" whose namespace "${namespace}" is not a valid Kubernetes namespace; ${expected}`,
      );
    }
    if (!isValidKubernetesName(name!)) {
      throw new AnnotationError(
        ANNOTATION_CANARIES,
        `Annotation ${ANNOTATION_CANARIES} has "${part}" whose name "${name}" is not a valid Kubernetes name; ${expected}`,
      );
    }
    return { cluster, namespace: namespace!, name: name! };
  });
}

/**
 * True when the entity opted in through one of the plugin's annotations.
 *
 * @public
 */
export function isProgressiveDeliveryAvailable(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return Boolean(
    annotations[ANNOTATION_WORKLOAD_NAME]?.trim() ||
      annotations[ANNOTATION_CANARIES]?.trim(),
  );
}

/**
 * Reads the entity's opt-in annotations.
 *
 * @returns undefined when the entity did not opt in
 * @throws AnnotationError when an annotation is malformed
 *
 * @public
 */
export function getCanarySelector(entity: Entity): CanarySelector | undefined {
  if (!isProgressiveDeliveryAvailable(entity)) {
    return undefined;
  }
  const annotations = entity.metadata.annotations ?? {};
  const workloadAnnotation = annotations[ANNOTATION_WORKLOAD_NAME];
  const canariesAnnotation = annotations[ANNOTATION_CANARIES];
  const namespace = annotations[ANNOTATION_KUBERNETES_NAMESPACE]?.trim();
  if (
    namespace !== undefined &&
    namespace !== '' &&
    !isValidKubernetesNamespace(namespace)
  ) {
    throw new AnnotationError(
      ANNOTATION_KUBERNETES_NAMESPACE,
      `Annotation ${ANNOTATION_KUBERNETES_NAMESPACE} has "${namespace}", which is not a valid Kubernetes namespace`,
    );
  }
  const labelSelector =
    annotations[ANNOTATION_KUBERNETES_LABEL_SELECTOR]?.trim() ||
    (annotations[ANNOTATION_KUBERNETES_ID]?.trim()
      ? `${ANNOTATION_KUBERNETES_ID}=${annotations[
          ANNOTATION_KUBERNETES_ID
        ].trim()}`
      : undefined);
  return {
    workloadNames: workloadAnnotation?.trim()
      ? parseWorkloadNames(workloadAnnotation)
      : [],
    canaries: canariesAnnotation?.trim()
      ? parseCanaryReferences(canariesAnnotation)
      : [],
    namespace: namespace || undefined,
    labelSelector,
  };
}
