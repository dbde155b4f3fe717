/**
 * Client-certificate authentication, as apiserver's x509 authenticator: the TLS listener asks every client for
 * a certificate (without requiring one) and checks it against the cluster CA; a verified certificate that is
 * valid now and allows client authentication names the user: CN is the user name, each O a group, plus
 * `system:authenticated`. Nodes hold such certificates (`system:node:<name>` in `system:nodes`), issued through
 * CertificateSigningRequests; a request without a certificate falls through to the bearer-token authenticators.
 */
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { User } from './tokens.ts';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The user a verified client certificate on `socket` names, or undefined (none, unverified, expired, wrong usage). */
export function clientCertificateUser(socket: Socket, now: number): User | undefined {
  const tls = socket as TLSSocket;
  if (typeof tls.getPeerCertificate !== 'function' || !tls.authorized) return undefined;
  const cert: PeerCertificate = tls.getPeerCertificate();
  if (!cert || !cert.subject) return undefined;
  if (Date.parse(cert.valid_from) > now || Date.parse(cert.valid_to) < now) return undefined;
  const eku = (cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage;
  if (eku && !eku.includes(CLIENT_AUTH)) return undefined;
  const name = values(cert.subject.CN)[0];
  if (!name) return undefined;
  const groups = values(cert.subject.O);
  return { name, groups: [...groups, 'system:authenticated'] };
}
