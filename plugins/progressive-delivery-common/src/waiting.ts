import { CanaryAction, CanaryRef, ReleaseState } from './canary';
import { ClusterStatus } from './api';

/**
 * Whose releases the "Waiting for you" page lists: those of the entities the signed-in user
 * owns (directly or through a group), or of every opted-in entity the user may read.
 *
 * @public
 */
export const WAITING_SCOPES = ['owned', 'readable'] as const;

/**
 * One of {@link WAITING_SCOPES}: `owned` (the default) or `readable`.
 *
 * @public
 */
export type WaitingScope = (typeof WAITING_SCOPES)[number];

/**
 * The sections of the page, in the order it shows them.
 *
 * - `waiting`: the release waits at a gate this portal decides, and the user may decide it.
 * - `failed`: the release failed or was rolled back within {@link WAITING_FAILED_WITHIN_MS}.
 * - `in-progress`: the release moves, or waits for a decision someone else (or an external
 *   gate) makes.
 *
 * @public
 */
export type WaitingSection = 'waiting' | 'failed' | 'in-progress';

/**
 * How far back failed releases are listed.
 *
 * @public
 */
export const WAITING_FAILED_WITHIN_MS = 24 * 60 * 60 * 1000;

/**
 * One release of one entity, as the page lists it. A canary selected by two entities the user
 * sees is listed once per entity: the permissions and the link are the entity's.
 *
 * @public
 */
export interface WaitingRelease {
  /** The section of the page the release is listed in. */
  section: WaitingSection;
  /** The entity the release is listed for; the link goes to its Progressive Delivery tab. */
  entity: {
    /** Canonical ref, e.g. component:default/checkout. */
    ref: string;
    kind: string;
    namespace: string;
    name: string;
    /** `metadata.title`, when the entity has one. */
    title?: string;
  };
  /** The canary: cluster, namespace and name. */
  canary: CanaryRef;
  /** Where the release is, in words and a tone, as on the tab. */
  state: ReleaseState;
  /** ISO time the release entered its current state (Flagger's last transition), when known. */
  since?: string;
  /** The revision under release, to tell two waits of the same canary apart. */
  revision?: string;
  /** The actions the user may take now: the state allows them, steering is on and the permission policy says yes. */
  actions: CanaryAction[];
  /** Why the user cannot decide a release that waits for a decision, in words. */
  cannotAct?: string;
  /** False when the row comes from the cache of a cluster that is currently unreachable. */
  fresh: boolean;
}

/**
 * `GET /waiting?scope=owned|readable`
 *
 * @public
 */
export interface WaitingResponse {
  /** The scope the answer is for. */
  scope: WaitingScope;
  /** Longest wait first. */
  waiting: WaitingRelease[];
  /** Newest first. */
  failed: WaitingRelease[];
  /** Newest first. */
  inProgress: WaitingRelease[];
  /** How many opted-in entities were looked at, so an empty page can say so. */
  entityCount: number;
  /** With `owned`: the refs ownership was matched against (the user and the user's groups). */
  ownershipRefs?: string[];
  /** Each configured cluster's connection state, so stale rows can be explained. */
  clusters: ClusterStatus[];
  /** ISO time the answer was made. */
  generatedAt: string;
}
