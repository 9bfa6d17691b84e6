/* A V8 CPU profile (as `Profiler.stop` gives it) reduced to its top functions by self time. */
import type { ProfileEntry, ProfileSummary } from './probeMessages';

/** The parts of `Profiler.Profile` (devtools protocol) the summary reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  /** The node id of each sample, and the microseconds since the previous sample. */
  samples?: number[];
  timeDeltas?: number[];
}

/** `url:line` of a frame: from `node_modules/` on, else relative to `repoRoot`; none for V8's own. */
export function shortLocation(
  url: string,
  lineNumber: number,
  repoRoot?: string,
): string {
  if (!url) return '';
  let path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    path = path.slice(modules);
  } else if (repoRoot && path.startsWith(`${repoRoot.replace(/\/$/, '')}/`)) {
    path = path.slice(repoRoot.replace(/\/$/, '').length + 1);
  }
  return lineNumber >= 0 ? `${path}:${lineNumber + 1}` : path;
}

/** Microseconds each node was on top of the stack. */
function selfMicros(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (samples && timeDeltas && samples.length === timeDeltas.length) {
    // Sample i was taken at startTime + timeDeltas[0..i] and lasted until the next one.
    const at: number[] = [];
    let time = profile.startTime;
    for (const delta of timeDeltas) {
      time += delta;
      at.push(time);
    }
    samples.forEach((node, i) => {
      const end = i + 1 < at.length ? at[i + 1] : profile.endTime;
      self.set(node, (self.get(node) ?? 0) + Math.max(0, end - at[i]));
    });
    return self;
  }
  // No sample list: spread the profile's time over the hit counts.
  const hits = profile.nodes.reduce(
    (sum, node) => sum + (node.hitCount ?? 0),
    0,
  );
  const perHit = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
  for (const node of profile.nodes) {
    self.set(node.id, (node.hitCount ?? 0) * perHit);
  }
  return self;
}

type ProfileNode = CpuProfile['nodes'][number];

/**
 * A native function of an addon (better-sqlite3's statements, say) and code made at run time
 * (`new Function`, `eval`) have neither name nor url: such a frame is told apart, and found,
 * by its nearest caller that has a url.
 */
function describeFrame(
  node: ProfileNode,
  parents: Map<number, ProfileNode>,
  repoRoot: string | undefined,
): { key: string; functionName: string; location: string } {
  const { functionName, url, lineNumber } = node.callFrame;
  if (url || functionName) {
    return {
      key: `${functionName}\0${url}\0${lineNumber}`,
      functionName: functionName || '(anonymous)',
      location: shortLocation(url, lineNumber, repoRoot),
    };
  }
  let caller = parents.get(node.id);
  while (caller && !caller.callFrame.url) caller = parents.get(caller.id);
  if (!caller) {
    return { key: '\0\0', functionName: '(anonymous)', location: '' };
  }
  const { callFrame } = caller;
  return {
    key: `\0\0\0${caller.id}`,
    functionName: '(native or generated)',
    location: `called from ${
      callFrame.functionName || '(anonymous)'
    } ${shortLocation(callFrame.url, callFrame.lineNumber, repoRoot)}`,
  };
}

/**
 * The `top` functions by self time, each function's call sites (nodes of the call tree)
 * added together. `(idle)`, `(program)` and `(garbage collector)` are listed like functions.
 */
export function summarizeProfile(
  profile: CpuProfile,
  options: { top?: number; repoRoot?: string } = {},
): ProfileSummary {
  const self = selfMicros(profile);
  const parents = new Map<number, ProfileNode>();
  const byId = new Map(profile.nodes.map(node => [node.id, node]));
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      const childNode = byId.get(child);
      if (childNode) parents.set(childNode.id, node);
    }
  }
  const byFunction = new Map<string, ProfileEntry>();
  let totalMicros = 0;
  for (const node of profile.nodes) {
    const micros = self.get(node.id) ?? 0;
    totalMicros += micros;
    if (micros === 0) continue;
    const { key, functionName, location } = describeFrame(
      node,
      parents,
      options.repoRoot,
    );
    const entry = byFunction.get(key) ?? {
      functionName,
      location,
      selfMs: 0,
      percent: 0,
    };
    entry.selfMs += micros / 1000;
    byFunction.set(key, entry);
  }
  const totalMs = totalMicros / 1000;
  const top = [...byFunction.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, options.top ?? 15)
    .map(entry => ({
      ...entry,
      selfMs: Math.round(entry.selfMs * 10) / 10,
      percent:
        totalMs > 0 ? Math.round((entry.selfMs / totalMs) * 1000) / 10 : 0,
    }));
  return {
    totalMs: Math.round(totalMs * 10) / 10,
    samples: profile.samples?.length ?? 0,
    top,
  };
}
