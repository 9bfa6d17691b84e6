/* Page views as the benchmark makes them: sequential requests, each answer checked. */
import { log, sleep } from './log';
import { PortalClient } from './portalClient';

async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** Until every cluster is synced and lists the entity's canary (one per cluster). */
export async function waitForSync(
  portal: PortalClient,
  entityRef: string,
  clusters: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let lastLogged = 0;
  while (Date.now() < deadline) {
    const { status, body } = await portal.canaries(entityRef);
    if (status === 200) {
      const ok = (body.clusters ?? []).filter(
        (c: any) => c.status === 'ok',
      ).length;
      const items = (body.items ?? []).length;
      last = `${ok}/${clusters} clusters ok, ${items}/${clusters} bench canaries`;
      if (ok === clusters && items === clusters) return;
    } else {
      last = `${status} ${JSON.stringify(body).slice(0, 300)}`;
    }
    if (Date.now() - lastLogged > 15_000) {
      log(`  waiting for sync: ${last}`);
      lastLogged = Date.now();
    }
    await sleep(500);
  }
  throw new Error(
    `the backend did not sync within ${timeoutMs / 1000} s: ${last}`,
  );
}

/** What is wrong with an answer of our summary endpoint for the bench entity, if anything. */
export function checkSummary(
  answer: { status: number; body: any },
  clusters: number,
): string | undefined {
  if (answer.status !== 200) {
    return `our summary answered ${answer.status}: ${JSON.stringify(
      answer.body,
    ).slice(0, 300)}`;
  }
  if (answer.body.items.length !== clusters) {
    return `our summary listed ${answer.body.items.length} canaries, expected ${clusters}`;
  }
  return undefined;
}

/**
 * Sequential requests after a warm-up; every answer must pass `check`. With a budget, stops
 * after `budgetMs` once `minimum` requests were made (the peer at 100 clusters takes seconds).
 */
export async function latencies(
  count: number,
  warmup: number,
  request: () => Promise<{ status: number; body: any }>,
  check: (answer: { status: number; body: any }) => string | undefined,
  limit?: { budgetMs: number; minimum: number },
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    const problem = check(await request());
    if (problem) throw new Error(problem);
  }
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (
      limit &&
      samples.length >= limit.minimum &&
      performance.now() - started > limit.budgetMs
    ) {
      break;
    }
    const { ms, value } = await timed(request);
    const problem = check(value);
    if (problem) throw new Error(problem);
    samples.push(ms);
  }
  return samples;
}
