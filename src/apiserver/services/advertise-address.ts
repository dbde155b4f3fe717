/**
 * The address the API server advertises in the `default/kubernetes` Endpoints (upstream's
 * --advertise-address): the listen address when it is a specific IPv4 address other than loopback, else the
 * host's primary IPv4 address (the first non-internal interface address), so pods never get 127.0.0.1,
 * which in their network namespace is themselves.
 */
import { networkInterfaces } from 'node:os';

export function hostPrimaryIPv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export function advertiseAddress(listenHost: string, explicit?: string): string {
  if (explicit) return explicit;
  const specific = /^\d+\.\d+\.\d+\.\d+$/.test(listenHost) && listenHost !== '0.0.0.0' && !listenHost.startsWith('127.');
  if (specific) return listenHost;
  return hostPrimaryIPv4() ?? '127.0.0.1';
}

/** Whether a listen host leaves the advertise address unreachable (loopback only). */
export function listensOnLoopbackOnly(listenHost: string): boolean {
  return listenHost.startsWith('127.') || listenHost === 'localhost' || listenHost === '::1';
}
