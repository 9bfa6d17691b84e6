import { HttpAuthService, UserInfoService } from '@backstage/backend-plugin-api';
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
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { KubernetesCanaryStore } from './clusters/KubernetesCanaryStore';
import { ProgressiveDeliveryService } from './service/ProgressiveDeliveryService';

export interface RouterOptions {
  service: ProgressiveDeliveryService;
  store: KubernetesCanaryStore;
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
}

const canaryParams = z.object({
  cluster: z.string().refine(isValidClusterName, 'cluster must be a configured cluster name'),
  namespace: z.string().refine(isValidKubernetesNamespace, 'namespace must be a valid Kubernetes namespace'),
  name: z.string().refine(isValidKubernetesName, 'name must be a valid Kubernetes name'),
});
const entityQuery = z.object({ entityRef: z.string().min(1, 'entityRef is required') });
const actionBody = z.object({
  entityRef: z.string().min(1, 'entityRef is required'),
  comment: z.string().optional(),
});
const webhookBody = z.object({
  name: z.string().refine(isValidKubernetesName, 'name must be a valid Kubernetes name'),
  namespace: z.string().refine(isValidKubernetesNamespace, 'namespace must be a valid Kubernetes namespace'),
  phase: z.string().optional(),
  checksum: z.string().optional(),
  metadata: z.record(z.string()).optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InputError(result.error.issues.map(issue => `${issue.path.join('.') || 'request'}: ${issue.message}`).join('; '));
  }
  return result.data;
}

/** Routes only: every decision is made in ProgressiveDeliveryService. */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { service, store, httpAuth, userInfo } = options;
  const router = Router();
  router.use(express.json({ limit: '16kb' }));

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/canaries', async (req, res) => {
    const { entityRef } = parse(entityQuery, req.query);
    const credentials = await httpAuth.credentials(req);
    res.json(await service.list(entityRef, credentials));
  });

  router.get('/history', async (req, res) => {
    const { entityRef } = parse(entityQuery, req.query);
    res.json(await service.history(entityRef, await httpAuth.credentials(req)));
  });

  router.get('/canaries/:cluster/:namespace/:name', async (req, res) => {
    const ref = parse(canaryParams, req.params);
    const { entityRef } = parse(entityQuery, req.query);
    res.json(await service.details(ref, entityRef, await httpAuth.credentials(req)));
  });

  router.get('/canaries/:cluster/:namespace/:name/metrics', async (req, res) => {
    const ref = parse(canaryParams, req.params);
    const { entityRef, minutes } = parse(
      entityQuery.extend({ minutes: z.coerce.number().int().min(1).max(24 * 60).default(30) }),
      req.query,
    );
    res.json(await service.metrics(ref, entityRef, minutes ?? 30, await httpAuth.credentials(req)));
  });

  router.post('/canaries/:cluster/:namespace/:name/actions/:action', async (req, res) => {
    const ref = parse(canaryParams, req.params);
    const action = parse(z.enum(CANARY_ACTIONS as [CanaryAction, ...CanaryAction[]]), req.params.action);
    const body = parse(actionBody, req.body ?? {});
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    res.json(
      await service.act({ ref, action, entityRef: body.entityRef, comment: body.comment, credentials, actor: userEntityRef, request: req }),
    );
  });

  router.get('/stream', async (req, res) => {
    const { entityRef } = parse(entityQuery, req.query);
    const credentials = await httpAuth.credentials(req);
    const { selector } = await service.selectorFor(entityRef, credentials);
    const matches = () => new Set(store.findCanaries(selector).map(c => `${c.ref.cluster}/${c.ref.namespace}/${c.ref.name}`));
    let watched = matches();
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': connected\n\n');
    const send = (message: StreamMessage) => res.write(`event: change\ndata: ${JSON.stringify(message)}\n\n`);
    const unsubscribe = store.subscribe(message => {
      if (message.type === 'cluster-changed') {
        watched = matches();
        send(message);
        return;
      }
      const ref = message.ref;
      if (!ref) return;
      const key = `${ref.cluster}/${ref.namespace}/${ref.name}`;
      if (!watched.has(key)) watched = matches();
      if (watched.has(key)) send(message);
    });
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });

  const gateParams = z.object({
    cluster: z.string().refine(isValidClusterName, 'cluster must be a cluster name'),
    gate: z.enum(GATE_KINDS as unknown as [GateKind, ...GateKind[]]),
  });

  router.post('/webhooks/:cluster/gates/:gate', async (req, res) => {
    const { cluster, gate } = parse(gateParams, req.params);
    const answer = await service.answerGate(cluster, gate, parse(webhookBody, req.body ?? {}));
    res.status(answer.status).type('text/plain').send(answer.message);
  });

  router.post('/webhooks/:cluster/event', async (req, res) => {
    const { cluster } = parse(gateParams.pick({ cluster: true }), req.params);
    await service.recordEvent(cluster, parse(webhookBody, req.body ?? {}));
    res.status(202).type('text/plain').send('recorded');
  });

  // Malformed JSON bodies are the client's mistake, not the server's.
  router.use((error: any, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    if (error?.type === 'entity.parse.failed') return next(new InputError(`The request body is not valid JSON: ${error.message}`));
    if (error?.type === 'entity.too.large') return next(new InputError('The request body is larger than 16 kB.'));
    return next(error);
  });

  return router;
}
