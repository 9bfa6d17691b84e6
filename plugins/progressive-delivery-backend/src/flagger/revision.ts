/**
 * The revision a decision is bound to: exactly the two status fields Flagger hashes into its
 * webhook `checksum` (status.lastAppliedSpec and status.trackedConfigs). Undefined before
 * Flagger initialized the canary.
 */
export function revisionKey(canary: Record<string, any>): string | undefined {
  const status = canary?.status ?? {};
  const spec = status.lastAppliedSpec;
  if (!spec) return undefined;
  const tracked = Object.entries(
    (status.trackedConfigs ?? {}) as Record<string, string>,
  )
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, checksum]) => `${name}=${checksum}`)
    .join(',');
  return tracked ? `${spec}+${tracked}` : spec;
}
