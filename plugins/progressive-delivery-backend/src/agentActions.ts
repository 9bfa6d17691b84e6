import {
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { NotAllowedError } from '@backstage/errors';
import {
  ACTION_LABELS,
  CanaryAction,
  CanarySummary,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { ProgressiveDeliveryServices } from './createServices';

/**
 * The plugin's use cases as actions of Backstage's actions registry, for AI agents (through the
 * MCP actions backend) and other callers of the registry. Like the router they only translate:
 * reads go through ReleaseQueries with the caller's credentials, decisions through
 * ActionService, which checks the permissions and audits each attempt as for the HTTP route.
 */

type Z = Parameters<
  Parameters<ActionsRegistryService['register']>[0]['schema']['input']
>[0];

const canaryInput = (z: Z) =>
  z.object({
    entityRef: z
      .string()
      .min(1)
      .describe(
        'The catalog entity the release belongs to, e.g. component:default/checkout',
      ),
    cluster: z
      .string()
      .min(1)
      .describe('The cluster name, as listed by list-releases'),
    namespace: z.string().min(1).describe('The Canary’s namespace'),
    name: z.string().min(1).describe('The Canary’s name'),
  });

/** What an agent needs of a release at a glance. */
function brief(summary: CanarySummary) {
  return {
    cluster: summary.ref.cluster,
    namespace: summary.ref.namespace,
    name: summary.ref.name,
    state: summary.state.kind,
    headline: summary.state.headline,
    waitingFor: summary.state.waitingFor,
    phase: summary.rawPhase,
    revision: summary.revision,
    canaryWeight: summary.traffic.canaryWeight,
    step: summary.traffic.currentStep,
    totalSteps: summary.traffic.totalSteps,
    possibleActions: summary.actions
      .filter(availability => availability.applicable)
      .map(availability => availability.action),
  };
}

/** Everything an agent needs to explain one release. */
function description(summary: CanarySummary) {
  return {
    ...brief(summary),
    detail: summary.state.detail,
    blockedBy: summary.state.blockedBy?.message,
    strategy: summary.strategy,
    traffic: summary.traffic,
    checks: summary.checks,
    metrics: summary.metrics.map(metric => ({
      name: metric.name,
      unit: metric.unit,
      thresholdRange: metric.thresholdRange,
      verdict: metric.current?.verdict,
      value: metric.current?.value,
      primaryValue: metric.current?.primaryValue,
      message: metric.current?.message,
    })),
    canaryImages: summary.canary?.images.map(image => image.image) ?? [],
    primaryImages: summary.primary?.images.map(image => image.image) ?? [],
    startedBecause: summary.trigger?.description,
    failure:
      summary.state.kind === 'failed'
        ? {
            reason: summary.state.headline,
            reachedStep: summary.rollback?.reachedStep,
            reachedWeight: summary.rollback?.reachedWeight,
            failedChecks: summary.rollback?.failedChecks,
            failures: summary.rollback?.failures.map(f => f.message) ?? [],
          }
        : undefined,
    actions: summary.actions.map(availability => ({
      action: availability.action,
      applicable: availability.applicable,
      reason: availability.reason,
    })),
    pendingDecision: summary.pendingDecision,
    fresh: summary.fresh,
  };
}

const ACTION_ATTRIBUTES: Record<
  CanaryAction,
  { destructive: boolean; description: string }
> = {
  promote: {
    destructive: true,
    description:
      'Promotes the release: Flagger copies the canary to the primary and moves all traffic to it (at once when it waits for promotion approval, otherwise as soon as the analysis passes).',
  },
  rollback: {
    destructive: true,
    description:
      'Rolls the release back: Flagger sends all traffic to the primary, scales the canary down and marks the rollout Failed.',
  },
  pause: {
    destructive: false,
    description:
      'Holds the canary at its current traffic weight; the analysis keeps running.',
  },
  resume: {
    destructive: false,
    description: 'Lets Flagger increase the canary traffic again.',
  },
  'approve-rollout': {
    destructive: false,
    description:
      'Approves the start of a rollout that waits for approval: Flagger scales the canary up and starts the analysis.',
  },
};

/** Registers the plugin's actions; the caller's own credentials decide what each may do. */
export function registerAgentActions(options: {
  actionsRegistry: ActionsRegistryService;
  services: ProgressiveDeliveryServices;
  userInfo: UserInfoService;
}) {
  const { actionsRegistry, services, userInfo } = options;
  const { queries, actions, waiting, budgets } = services;

  const userOf = async (credentials: BackstageCredentials) => {
    if ((credentials.principal as { type?: string }).type !== 'user')
      throw new NotAllowedError(
        'Only a signed-in user may decide on a release; call the action with a user’s credentials.',
      );
    return userInfo.getUserInfo(credentials);
  };

  actionsRegistry.register({
    name: 'list-releases',
    title: 'List the releases of an entity',
    description:
      'Lists the Flagger canary releases of a catalog entity in every configured cluster: state in words, what it waits for, traffic, and the actions possible now.',
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z.object({
          entityRef: z
            .string()
            .min(1)
            .describe('The catalog entity, e.g. component:default/checkout'),
        }),
      output: z =>
        z.object({
          releases: z.array(z.record(z.any())),
          clusters: z.array(
            z.object({
              name: z.string(),
              status: z.string(),
              error: z.string().optional(),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      const list = await queries.list(input.entityRef, credentials);
      return {
        output: {
          releases: list.items.map(brief),
          clusters: list.clusters.map(cluster => ({
            name: cluster.name,
            status: cluster.status,
            error: cluster.error,
          })),
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'describe-release',
    title: 'Describe one release',
    description:
      'Describes one Flagger canary release of an entity: state, traffic, failed checks, each metric against its threshold, why it started, and for a rolled-back release how far it got and which checks failed.',
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: canaryInput,
      output: z => z.object({ release: z.record(z.any()) }),
    },
    action: async ({ input, credentials }) => {
      const { entityRef, ...ref } = input;
      const details = await queries.details(ref, entityRef, credentials);
      return {
        output: {
          release: {
            ...description(details.summary),
            history: details.history.slice(0, 5).map(record => ({
              revision: record.revision,
              outcome: record.outcome,
              startedAt: record.startedAt,
              endedAt: record.endedAt,
              failureReason: record.failureReason,
            })),
          },
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'list-releases-waiting-for-me',
    title: 'List the releases waiting for me',
    description:
      'Lists the releases of the entities the caller (or the caller’s groups) own that wait at a gate for a decision the caller may make, with the actions that answer it; the same list as the portal’s "Waiting for you" page.',
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z => z.object({}),
      output: z =>
        z.object({
          releases: z.array(z.record(z.any())),
          entitiesChecked: z.number(),
        }),
    },
    action: async ({ credentials }) => {
      await userOf(credentials);
      const page = await waiting.forUser(credentials, 'owned');
      return {
        output: {
          releases: page.waiting.map(row => ({
            entityRef: row.entity.ref,
            ...row.canary,
            state: row.state.kind,
            headline: row.state.headline,
            waitingFor: row.state.waitingFor,
            actions: row.actions,
            since: row.since,
          })),
          entitiesChecked: page.entityCount,
        },
      };
    },
  });

  for (const action of Object.keys(ACTION_ATTRIBUTES) as CanaryAction[]) {
    const { destructive, description: what } = ACTION_ATTRIBUTES[action];
    actionsRegistry.register({
      name: `${action}-release`,
      title: `${ACTION_LABELS[action]} a release`,
      description: `${what} Needs the same permission as in the portal; Flagger applies it at its next analysis tick. Repeating a recorded decision changes nothing.`,
      attributes: { readOnly: false, destructive, idempotent: true },
      schema: {
        input: z =>
          canaryInput(z).extend({
            comment: z
              .string()
              .max(500)
              .optional()
              .describe('Why, kept with the decision and in the audit log'),
          }),
        output: z =>
          z.object({
            message: z.string(),
            revision: z.string(),
            decidedBy: z.string(),
            decidedAt: z.string(),
          }),
      },
      action: async ({ input, credentials }) => {
        const { entityRef, comment, ...ref } = input;
        const { userEntityRef } = await userOf(credentials);
        budgets.actions.take(userEntityRef, 'actions');
        const response = await actions.act({
          ref,
          action,
          entityRef,
          comment,
          credentials,
          actor: userEntityRef,
        });
        return {
          output: {
            message: response.message,
            revision: response.decision.revision,
            decidedBy: response.decision.decidedBy,
            decidedAt: response.decision.decidedAt,
          },
        };
      },
    });
  }
}
