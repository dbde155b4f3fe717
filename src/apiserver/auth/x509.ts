/**
 * Client-certificate authentication, as apiserver's x509 authenticator: the TLS listener asks every client for
 * a certificate (without requiring one) and checks it against the cluster CA; a verified certificate that is
 * valid now and allows client authentication names the user: CN is the user name, each O a group, plus
 * `system:authenticated`. Nodes hold such certificates (`system:node:<name>` in `system:nodes`), issued through
 * CertificateSigningRequests; a request without a certificate falls through to the bearer-token authenticators.
 * A connection's certificate is read once (getPeerCertificate builds a new object each call: ~6% of a busy
 * server's CPU with a hundred nodes writing status) and kept with the socket; its validity is checked on every
 * request.
 */
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { User } from './tokens.ts';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** What a connection's verified client certificate says: its user and when it is valid (null: no user). */
interface CertifiedUser {
  user: User;
  notBefore: number;
  notAfter: number;
}

const bySocket = new WeakMap<Socket, CertifiedUser | null>();

function readCertificate(tls: TLSSocket): CertifiedUser | null {
  if (typeof tls.getPeerCertificate !== 'function' || !tls.authorized) return null;
  const cert: PeerCertificate = tls.getPeerCertificate();
  if (!cert || !cert.subject) return null;
  const eku = (cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage;
  if (eku && !eku.includes(CLIENT_AUTH)) return null;
  const name = values(cert.subject.CN)[0];
  if (!name) return null;
  const groups = values(cert.subject.O);
  return { user: { name, groups: [...groups, 'system:authenticated'] }, notBefore: Date.parse(cert.valid_from), notAfter: Date.parse(cert.valid_to) };
}

/** The user a verified client certificate on `socket` names, or undefined (none, unverified, expired, wrong usage). */
export function clientCertificateUser(socket: Socket, now: number): User | undefined {
  let certified = bySocket.get(socket);
  if (certified === undefined) {
    certified = readCertificate(socket as TLSSocket);
    bySocket.set(socket, certified);
  }
  if (!certified || certified.notBefore > now || certified.notAfter < now) return undefined;
  return { name: certified.user.name, groups: [...certified.user.groups] };
}
