import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';

/**
 * Requests per call to the permission backend. Its `/authorize` route accepts a JSON body of
 * at most 100 kB (express's default): 500 entities in one batch were refused with 413.
 */
export const AUTHORIZE_BATCH = 100;

/** The decisions of many requests, asked in batches the permission backend accepts, at once. */
export async function authorizeInBatches(
  permissions: Pick<PermissionsService, 'authorize'>,
  requests: Parameters<PermissionsService['authorize']>[0],
  credentials: BackstageCredentials,
) {
  const batches: Array<typeof requests> = [];
  for (let start = 0; start < requests.length; start += AUTHORIZE_BATCH) {
    batches.push(requests.slice(start, start + AUTHORIZE_BATCH));
  }
  const answers = await Promise.all(
    batches.map(batch => permissions.authorize(batch, { credentials })),
  );
  return answers.flat();
}
