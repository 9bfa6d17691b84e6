/* Kubeconfig files for the sandbox clusters (admin: client certificate; portal: bearer token). */
import { stringify } from 'yaml';

export interface KubeconfigInput {
  cluster: string;
  server: string;
  caPem: string;
  user: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function renderKubeconfig(input: KubeconfigInput): string {
  const contextName = `${input.user}@sandbox-${input.cluster}`;
  const user: Record<string, string> = {};
  if (input.clientCertPem && input.clientKeyPem) {
    user['client-certificate-data'] = b64(input.clientCertPem);
    user['client-key-data'] = b64(input.clientKeyPem);
  }
  if (input.token) user.token = input.token;
  if (Object.keys(user).length === 0) {
    throw new Error(
      'a kubeconfig user needs a client certificate and key, or a token',
    );
  }
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: `sandbox-${input.cluster}`,
        cluster: {
          server: input.server,
          'certificate-authority-data': b64(input.caPem),
        },
      },
    ],
    users: [{ name: input.user, user }],
    contexts: [
      {
        name: contextName,
        context: { cluster: `sandbox-${input.cluster}`, user: input.user },
      },
    ],
    'current-context': contextName,
    preferences: {},
  });
}
