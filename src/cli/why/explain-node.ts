/**
 * `kubeling why node/NAME`: whether a node takes and keeps pods, in one sentence: its Ready condition
 * (NotReady, or Unknown once the node lifecycle controller stops hearing from the kubelet), a pressure
 * condition (the kubelet is evicting, the scheduler avoids it), a cordon, or taints only some pods tolerate.
 */
import type { Event, Node } from '../../api/index.ts';
import { ago, eventLines, type Answer } from './answer.ts';

export interface NodeFacts {
  node: Node;
  events: readonly Event[];
  /** How many pods are bound to the node (they are the ones a down node strands). */
  podCount?: number;
  now: number;
}

const PRESSURE: Record<string, string> = {
  MemoryPressure: 'memory',
  DiskPressure: 'disk',
  PIDPressure: 'process id',
};

function taintText(t: { key: string; value?: string; effect: string }): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

export function explainNode(facts: NodeFacts): Answer {
  const { node, now } = facts;
  const name = `node/${node.metadata?.name}`;
  const conditions = node.status?.conditions ?? [];
  const evidence: string[] = [];
  for (const c of conditions) {
    const why = [c.reason, c.message].filter(Boolean).join(': ');
    evidence.push(`condition ${c.type}=${c.status}${c.lastTransitionTime ? ` since ${ago(c.lastTransitionTime, now)}` : ''}${c.lastHeartbeatTime ? `, last heartbeat ${ago(c.lastHeartbeatTime, now)}` : ''}${why ? ` (${why})` : ''}`);
  }
  const taints = node.spec?.taints ?? [];
  if (taints.length) evidence.push(`taints ${taints.map(taintText).join(', ')}`);
  if (node.spec?.unschedulable) evidence.push('spec.unschedulable=true (cordoned)');
  const alloc = node.status?.allocatable;
  if (alloc) evidence.push(`allocatable ${Object.entries(alloc).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (facts.podCount !== undefined) evidence.push(`${facts.podCount} pod(s) bound to it`);
  evidence.push(...eventLines(facts.events, now));
  const done = (sentence: string, healthy = false): Answer => ({ sentence, evidence, healthy });

  const ready = conditions.find((c) => c.type === 'Ready');
  const stranded = facts.podCount ? `; its ${facts.podCount} pod(s) are evicted once their tolerations for it run out (300s by default)` : '';
  if (!ready) return done(`${name} is not Ready: its kubelet has never reported a Ready condition (is it running?).`);
  if (ready.status === 'Unknown') {
    const heard = ready.lastHeartbeatTime ? `, last heard from ${ago(ready.lastHeartbeatTime, now)}` : '';
    return done(`${name} is unreachable: ${(ready.message ?? 'its kubelet stopped posting node status').replace(/\.$/, '')}${heard}${stranded}.`);
  }
  if (ready.status === 'False') {
    return done(`${name} is NotReady: ${[ready.reason, ready.message].filter(Boolean).join(': ').replace(/\.$/, '') || 'its kubelet reports it not ready'} (since ${ago(ready.lastTransitionTime, now)})${stranded}.`);
  }
  for (const c of conditions) {
    if (c.status !== 'True') continue;
    if (PRESSURE[c.type]) {
      return done(`${name} is under ${PRESSURE[c.type]} pressure: ${(c.message ?? c.reason ?? '').replace(/\.$/, '')}; the kubelet evicts pods to recover and the scheduler places no new ones there.`);
    }
    if (c.type === 'NetworkUnavailable') return done(`${name} has no pod network: ${(c.message ?? c.reason ?? '').replace(/\.$/, '')}.`);
  }
  if (node.spec?.unschedulable) return done(`${name} is cordoned: it is Ready and keeps its pods, but no new pods are scheduled there (kubectl uncordon ${node.metadata?.name}).`);
  const repelling = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (repelling.length) {
    return done(`${name} is Ready, but only pods that tolerate ${repelling.map(taintText).join(' and ')} are scheduled there.`, true);
  }
  return done(`${name} is Ready.`, true);
}
