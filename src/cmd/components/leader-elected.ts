/**
 * `--leader-elect`: components that must act in one server only run under a Lease in `kube-system`, as
 * kube-scheduler and kube-controller-manager do: `kube-scheduler` for the scheduler, `kube-controller-manager`
 * for the controllers and node IPAM (upstream's range allocator is part of kube-controller-manager). Every
 * server campaigns; the one holding the Lease runs the components, and they stop the moment it loses it
 * (src/client/leaderelection). Components sharing a Lease run together under one candidate.
 */
import { defaultIdentity, runLeaderElection } from '../../client/index.ts';
import type { Component, ComponentContext } from './component.ts';
import { componentUser } from '../component-identities.ts';

export const LEASE_NAMESPACE = 'kube-system';

/** The Lease each leader-elected component runs under, by component name (upstream's Lease names). */
export const COMPONENT_LEASES: Record<string, string> = {
  scheduler: 'kube-scheduler',
  'controller-manager': 'kube-controller-manager',
  'node-ipam': 'kube-controller-manager',
};

/** One component that runs `members` while this server holds Lease `kube-system/<lease>`. */
export function leaderElected(lease: string, members: Component[], identity = defaultIdentity()): Component {
  return {
    name: lease,
    async run(ctx: ComponentContext): Promise<void> {
      const logger = ctx.logger.child({ lease: `${LEASE_NAMESPACE}/${lease}` });
      logger.info({ identity }, 'attempting to acquire leader lease');
      await runLeaderElection({
        client: ctx.client,
        namespace: LEASE_NAMESPACE,
        name: lease,
        identity,
        logger,
        onNewLeader: (holder) => logger.info({ holder, identity }, holder === identity ? 'this server leads' : 'new leader elected'),
        async onStartedLeading(signal) {
          // Each member acts as its own identity; the Lease is held with the group's (ctx.client).
          const clientOf = (c: Component) => {
            const user = componentUser(c.name, ctx.node?.name ?? ctx.options?.nodeName ?? '');
            return user && ctx.clientAs ? ctx.clientAs(user, `kubeling-${c.name}`) : ctx.client;
          };
          await Promise.all(members.map((c) => {
            const client = clientOf(c);
            return c.run({ ...ctx, client, logger: ctx.logger.child({ component: c.name }), signal }).catch((err) => {
              if (!signal.aborted) logger.error({ err, component: c.name }, 'component failed');
            }).finally(() => client !== ctx.client && client.close());
          }));
        },
      }, ctx.signal);
    },
  };
}

/** The server's components with those that have a Lease grouped under it (order kept by first member). */
export function withLeaderElection(components: Component[]): Component[] {
  const out: Component[] = [];
  const groups = new Map<string, Component[]>();
  for (const c of components) {
    const lease = COMPONENT_LEASES[c.name];
    if (!lease) {
      out.push(c);
      continue;
    }
    if (!groups.has(lease)) {
      groups.set(lease, []);
      const members = groups.get(lease)!;
      out.push({ name: lease, run: (ctx) => leaderElected(lease, members).run(ctx) });
    }
    groups.get(lease)!.push(c);
  }
  return out;
}
