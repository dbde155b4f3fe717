/**
 * The legacy service-account token controller (upstream's TokensController in kube-controller-manager),
 * run by the API server itself because it signs with the server's service-account key: a Secret of type
 * `kubernetes.io/service-account-token` naming an existing service account (annotation
 * `kubernetes.io/service-account.name`) gets `data.token` (a legacy token, iss `kubernetes/serviceaccount`, no
 * expiry), `data.ca.crt` and `data.namespace`, and the annotation `kubernetes.io/service-account.uid`. A
 * token Secret whose service account is gone (or has another uid) is deleted, as upstream does; once the
 * Secret is gone its token is refused by the authenticator (service-account-authenticator.ts).
 *
 * Level-triggered like the other server loops (controllers.ts): any change to secrets or service accounts
 * rings a doorbell and a timer re-checks. Several servers may run it: updates are compare-and-swap
 * (guaranteedUpdate re-reads) and a filled Secret is left alone, so the first writer's token stays.
 */
import type { KubeObject } from '../api/index.ts';
import { Doorbell, type Logger } from '../machinery/index.ts';
import type { GenericRegistry } from './registry/generic.ts';
import { LEGACY_ISSUER, type ServiceAccountTokens } from './auth/service-account-tokens.ts';
import { ApiError } from './status.ts';

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
const NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const UID_ANNOTATION = 'kubernetes.io/service-account.uid';

type Secret = KubeObject & { type?: string; data?: Record<string, string> };

export interface ServiceAccountTokenControllerConfig {
  secrets: GenericRegistry;
  serviceAccounts: GenericRegistry;
  tokens: ServiceAccountTokens;
  caPem: string;
  logger?: Logger;
  /** How often to look again without a change (default 30 s). */
  resyncMs?: number;
}

/** What a token Secret needs: nothing, a token (with ca.crt and namespace), or deleting. */
export function tokenSecretAction(secret: Secret, sa: KubeObject | undefined): 'none' | 'fill' | 'delete' {
  if (secret.metadata?.deletionTimestamp) return 'none';
  const wantUid = secret.metadata?.annotations?.[UID_ANNOTATION];
  if (!sa || (wantUid && wantUid !== sa.metadata?.uid)) return 'delete';
  const d = secret.data ?? {};
  return d.token && d['ca.crt'] && d.namespace && wantUid ? 'none' : 'fill';
}

export async function runServiceAccountTokenController(c: ServiceAccountTokenControllerConfig, signal: AbortSignal): Promise<void> {
  await Promise.all([c.secrets.cache.ready, c.serviceAccounts.cache.ready]);
  const bell = new Doorbell();
  const subs = [c.secrets, c.serviceAccounts].map((r) => r.cache.subscribe(r.cache.revision, { deliver: () => bell.ring(), end: () => bell.ring() }));
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  try {
    while (!signal.aborted) {
      for (const secret of c.secrets.cache.list().items as Secret[]) {
        if (secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE) continue;
        const ns = secret.metadata!.namespace!;
        const name = secret.metadata!.name!;
        const saName = secret.metadata?.annotations?.[NAME_ANNOTATION] ?? '';
        let sa = c.serviceAccounts.cache.get(c.serviceAccounts.key(ns, saName));
        let action = tokenSecretAction(secret, sa);
        // The caches follow the store independently: a miss is confirmed against the store before deleting.
        if (action === 'delete') {
          sa = await c.serviceAccounts.tryGet(ns, saName).catch(() => sa);
          action = tokenSecretAction(secret, sa);
        }
        try {
          if (action === 'delete') {
            await c.secrets.delete(ns, name, { preconditions: { uid: secret.metadata!.uid! } });
          } else if (action === 'fill') {
            await c.secrets.guaranteedUpdate(ns, name, {}, (cur) => {
              const s = cur as Secret;
              if (!cur || tokenSecretAction(s, sa) !== 'fill') throw new ApiError(409, 'Conflict', 'changed meanwhile', {});
              const token = s.data?.token ? Buffer.from(s.data.token, 'base64').toString('utf8') : c.tokens.issue({
                iss: LEGACY_ISSUER,
                sub: `system:serviceaccount:${ns}:${saName}`,
                'kubernetes.io/serviceaccount/namespace': ns,
                'kubernetes.io/serviceaccount/secret.name': name,
                'kubernetes.io/serviceaccount/service-account.name': saName,
                'kubernetes.io/serviceaccount/service-account.uid': sa!.metadata!.uid!,
              });
              return {
                ...s,
                metadata: { ...s.metadata, annotations: { ...s.metadata?.annotations, [UID_ANNOTATION]: sa!.metadata!.uid! } },
                data: { ...s.data, token: b64(token), 'ca.crt': b64(c.caPem), namespace: b64(ns) },
              };
            });
          }
        } catch (err) {
          if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) c.logger?.warn({ err: String(err), secret: `${ns}/${name}` }, 'service account token secret');
        }
      }
      try {
        await bell.wait(AbortSignal.any([signal, AbortSignal.timeout(c.resyncMs ?? 30_000)]));
      } catch {
        // timeout or stop: look again (the loop checks signal)
      }
    }
  } finally {
    subs.forEach((s) => s.unsubscribe());
  }
}
