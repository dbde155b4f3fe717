/**
 * Reads a kubeconfig file (the one `kubeling server` writes, or any kubectl one) into a `ClientConfig`:
 * the current (or named) context's cluster server, CA, TLS verification, and the user's token or client
 * certificate. Paths inside the file are relative to the file, as kubectl resolves them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { ClientConfig } from './transport.ts';

interface NamedCluster {
  name: string;
  cluster: {
    server: string;
    'certificate-authority-data'?: string;
    'certificate-authority'?: string;
    'insecure-skip-tls-verify'?: boolean;
  };
}
interface NamedUser {
  name: string;
  user: {
    token?: string;
    tokenFile?: string;
    'client-certificate-data'?: string;
    'client-certificate'?: string;
    'client-key-data'?: string;
    'client-key'?: string;
  };
}
interface NamedContext {
  name: string;
  context: { cluster: string; user: string; namespace?: string };
}
interface Kubeconfig {
  clusters?: NamedCluster[];
  users?: NamedUser[];
  contexts?: NamedContext[];
  'current-context'?: string;
}

export interface KubeconfigResult extends ClientConfig {
  /** The context's namespace (`default` when unset). */
  namespace: string;
}

export async function loadKubeconfig(file: string, opts: { context?: string } = {}): Promise<KubeconfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
  }
  const doc = (parse(text) ?? {}) as Kubeconfig;
  const dir = path.dirname(file);
  const contextName = opts.context ?? doc['current-context'];
  if (!contextName) throw new Error(`kubeconfig ${file}: no current-context`);
  const ctx = doc.contexts?.find((c) => c.name === contextName)?.context;
  if (!ctx) throw new Error(`kubeconfig ${file}: context ${JSON.stringify(contextName)} not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig ${file}: cluster ${JSON.stringify(ctx.cluster)} not found or has no server`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const fromFile = (p: string) => readFile(path.resolve(dir, p));
  const b64 = (s: string) => Buffer.from(s, 'base64');

  const config: KubeconfigResult = { server: cluster.server, namespace: ctx.namespace || 'default' };
  if (cluster['certificate-authority-data']) config.caData = b64(cluster['certificate-authority-data']);
  else if (cluster['certificate-authority']) config.caData = await fromFile(cluster['certificate-authority']);
  if (cluster['insecure-skip-tls-verify']) config.insecureSkipTlsVerify = true;
  if (user.token) config.token = user.token;
  else if (user.tokenFile) config.token = (await fromFile(user.tokenFile)).toString('utf8').trim();
  if (user['client-certificate-data']) config.certData = b64(user['client-certificate-data']);
  else if (user['client-certificate']) config.certData = await fromFile(user['client-certificate']);
  if (user['client-key-data']) config.keyData = b64(user['client-key-data']);
  else if (user['client-key']) config.keyData = await fromFile(user['client-key']);
  return config;
}
