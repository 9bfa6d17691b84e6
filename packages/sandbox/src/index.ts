/*
 * Programmatic API of the sandbox, for other packages' tests, e2e journeys and benchmarks.
 */
export {
  sandboxUp,
  sandboxDown,
  sandboxStatus,
  printStatus,
  readSandboxInfo,
  release,
  setWebhookSecret,
  stopComponent,
  startComponent,
  adminKubeConfig,
  adminClient,
  clusterInfo,
} from './sandbox';
export type {
  ClusterInfo,
  SandboxInfo,
  StatusReport,
  ComponentStatus,
  ReleaseOptions,
  ReleaseResult,
  UpOptions,
  Logger,
} from './sandbox';
export {
  SAMPLE_APPS,
  GATE_KINDS,
  LOADTESTER_URL,
  webhookSecretVariable,
  flaggerModuleFile,
  objectsInMarkdown,
  objectsInYaml,
} from './manifests';
export type { SampleApp } from './manifests';
export {
  CLUSTER_NAMES,
  COMPONENTS,
  SAMPLE_NAMESPACE,
  ANNOTATIONS,
  LOADTESTER_NAMESPACE,
  LOADTESTER_SERVICE,
  VERSIONS,
  clusterPorts,
  sandboxPaths,
  webhookBaseUrl,
} from './config';
export type { ClusterName, ComponentName, ClusterPorts } from './config';
export { KubeClient, KubeApiError } from './kube';
export type { KubeObject } from './kube';
export { promQuery, request } from './http';
export { POD_BEHAVIOUR } from './simulator/kubelet';
