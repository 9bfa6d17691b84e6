import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  CANARY_ACTIONS,
  CanaryAction,
  GATE_KINDS,
  GateKind,
  isValidClusterName,
  isValidKubernetesName,
  isValidKubernetesNamespace,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { MAX_COMMENT_LENGTH } from './service/ActionService';
import { ProgressiveDeliveryServices } from './createServices';
import { STREAM_HEADERS } from './service/EntityStream';
import { encodedOnce } from './service/RecentSummaries';
import { LimitExceededError } from './service/RequestBudget';
import { parseWaitingScope } from './service/WaitingReleases';

export interface RouterOptions {
  services: ProgressiveDeliveryServices;
  httpAuth: Pick<HttpAuthService, 'credentials'>;
  userInfo: Pick<UserInfoService, 'getUserInfo'>;
}

const clusterName = z
  .string()
  .refine(
    isValidClusterName,
    'must be a cluster name (letters, digits, "-", "_", ".")',
  );
const canaryParams = z.object({
  cluster: clusterName,
  namespace: z
    .string()
    .refine(
      isValidKubernetesNamespace,
      'must be a Kubernetes namespace (lower-case letters, digits, "-")',
    ),
  name: z
    .string()
    .refine(
      isValidKubernetesName,
      'must be a Kubernetes name (lower-case letters, digits, "-", ".")',
    ),
});
const entityQuery = z.object({
  entityRef: z
    .string({
      required_error: 'is required, e.g. ?entityRef=component:default/checkout',
    })
    .min(1, 'is required'),
});
const metricsQuery = entityQuery.extend({
  minutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
});
const actionParams = canaryParams.extend({
  action: z.enum(CANARY_ACTIONS as [CanaryAction, ...CanaryAction[]], {
    errorMap: () => ({
      message: `must be one of ${CANARY_ACTIONS.join(', ')}`,
    }),
  }),
});
const actionBody = z.object({
  entityRef: z.string({ required_error: 'is required' }).min(1, 'is required'),
  comment: z
    .string()
    .max(
      MAX_COMMENT_LENGTH,
      `may have at most ${MAX_COMMENT_LENGTH} characters`,
    )
    .optional(),
});
const gateParams = z.object({
  cluster: clusterName,
  gate: z.enum(GATE_KINDS as unknown as [GateKind, ...GateKind[]], {
    errorMap: () => ({ message: `must be one of ${GATE_KINDS.join(', ')}` }),
  }),
});
const webhookBody = z.object({
  name: z
    .string({ required_error: 'is required' })
    .refine(isValidKubernetesName, 'must be a Kubernetes name'),
  namespace: z
    .string({ required_error: 'is required' })
    .refine(isValidKubernetesNamespace, 'must be a Kubernetes namespace'),
  phase: z.string().max(64).optional(),
  checksum: z.string().max(256).optional(),
  metadata: z.record(z.string()).optional(),
});

function parse<T>(
  schema: z.ZodType<T, z.ZodTypeDef, unknown>,
  value: unknown,
  what: string,
): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(issue =>
      issue.path.length > 0
        ? `${issue.path.join('.')} ${issue.message}`
        : issue.message,
    );
    throw new InputError(`Invalid ${what}: ${problems.join('; ')}`);
  }
  return result.data;
}

/**
 * The plugin's HTTP API. Routes only: every decision is made in the services. Used by the new
 * backend system (plugin.ts) and the legacy `createRouter` alike.
 */
export function buildRouter(options: RouterOptions): express.Router {
  const { services, httpAuth, userInfo } = options;
  const { queries, actions, gates, streams, waiting, limits, budgets } =
    services;
  const reader = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });
  const router = Router();
  router.use(express.json({ limit: '16kb' }));

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/canaries', async (req, res) => {
    const { entityRef } = parse(entityQuery, req.query, 'query');
    const { body, etag } = encodedOnce(
      await queries.list(entityRef, await reader(req)),
    );
    // With the tag set, express neither hashes the body again nor sends it to a browser
    // that has it (304).
    res.set('ETag', etag).type('application/json').send(body);
  });

  router.get('/canaries/:cluster/:namespace/:name', async (req, res) => {
    const ref = parse(canaryParams, req.params, 'canary');
    const { entityRef } = parse(entityQuery, req.query, 'query');
    res.json(await queries.details(ref, entityRef, await reader(req)));
  });

  router.get(
    '/canaries/:cluster/:namespace/:name/metrics',
    async (req, res) => {
      const ref = parse(canaryParams, req.params, 'canary');
      const { entityRef, minutes } = parse(metricsQuery, req.query, 'query');
      res.json(
        await queries.metrics(ref, entityRef, minutes, await reader(req)),
      );
    },
  );

  router.get('/history', async (req, res) => {
    const { entityRef } = parse(entityQuery, req.query, 'query');
    res.json(await queries.history(entityRef, await reader(req)));
  });

  router.get('/waiting', async (req, res) => {
    const scope = parseWaitingScope(req.query.scope);
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    res.json(await waiting.forUser(credentials, scope));
  });

  router.post(
    '/canaries/:cluster/:namespace/:name/actions/:action',
    async (req, res) => {
      const { action, ...ref } = parse(actionParams, req.params, 'action');
      const body = parse(actionBody, req.body ?? {}, 'request body');
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const { userEntityRef } = await userInfo.getUserInfo(credentials);
      budgets.actions.take(userEntityRef, 'actions');
      res.json(
        await actions.act({
          ref,
          action,
          entityRef: body.entityRef,
          comment: body.comment,
          credentials,
          actor: userEntityRef,
          request: req,
        }),
      );
    },
  );

  router.get('/stream', async (req, res) => {
    const { entityRef } = parse(entityQuery, req.query, 'query');
    const changes = await streams.open(entityRef, await reader(req));
    res.writeHead(200, STREAM_HEADERS);
    // A client that stops reading would make its queue grow without end: past the limit the
    // stream is cut. After its lifetime the stream ends; the client's reconnect is a new
    // request, so the read permission is checked again.
    const stop = changes.start(chunk => {
      if (res.writableLength > limits.streamBufferBytes) {
        res.destroy();
        return;
      }
      res.write(chunk);
    });
    const lifetime = setTimeout(() => res.end(), limits.streamLifetimeMs);
    lifetime.unref();
    res.on('close', () => {
      clearTimeout(lifetime);
      stop();
    });
  });

  router.post('/webhooks/:cluster/gates/:gate', async (req, res) => {
    const { cluster, gate } = parse(gateParams, req.params, 'gate');
    const payload = parse(webhookBody, req.body ?? {}, 'webhook payload');
    // Per caller and canary: a flood from elsewhere does not spend Flagger's budget.
    budgets.webhooks.take(
      `${req.ip}|${cluster}/${payload.namespace}/${payload.name}`,
      'webhook calls about this canary',
    );
    const answer = await gates.answerGate(cluster, gate, payload);
    res.status(answer.status).type('text/plain').send(answer.message);
  });

  router.post('/webhooks/:cluster/event', async (req, res) => {
    const { cluster } = parse(
      gateParams.pick({ cluster: true }),
      req.params,
      'cluster',
    );
    const payload = parse(webhookBody, req.body ?? {}, 'webhook payload');
    // Per caller and canary: a flood from elsewhere does not spend Flagger's budget.
    budgets.webhooks.take(
      `${req.ip}|${cluster}/${payload.namespace}/${payload.name}`,
      'webhook calls about this canary',
    );
    await gates.recordEvent(cluster, payload);
    res.status(202).type('text/plain').send('Recorded');
  });

  // Malformed and oversized JSON bodies are the client's mistake, not the server's.
  router.use(
    (
      error: any,
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (error instanceof LimitExceededError) {
        res
          .status(429)
          .set('Retry-After', String(error.retryAfterSeconds))
          .json({
            error: { name: 'TooManyRequestsError', message: error.message },
            response: { statusCode: 429 },
          });
        return undefined;
      }
      if (error?.type === 'entity.parse.failed') {
        return next(
          new InputError(
            `The request body is not valid JSON: ${error.message}`,
          ),
        );
      }
      if (error?.type === 'entity.too.large') {
        return next(new InputError('The request body is larger than 16 kB.'));
      }
      return next(error);
    },
  );

  return router;
}
