#!/usr/bin/env node
/**
 * Counts the decoded copies of each pod in a V8 heap snapshot of the server, and who holds each copy
 * (issue 15: memory per pod). A pod copy is an object with `metadata`, `spec` (with `containers`) and `status`.
 * For each copy the shortest path from the GC roots is found (breadth-first, weak edges skipped, as DevTools'
 * distance) and shortened to its holders (constructor names and the property or Map slot that leads on);
 * copies are grouped by that path, so each line is one place that keeps pods, with how many it keeps.
 *
 *   node --max-old-space-size=8192 bench/heap-copies.ts FILE.heapsnapshot [--holders 7]
 *
 * Also prints the live heap (the snapshot's self sizes summed: what survives a full GC) and the pods.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: flags, positionals } = parseArgs({ allowPositionals: true, options: { depth: { type: 'string', default: '40' }, holders: { type: 'string', default: '7' } } });
const file = positionals[0];
if (!file) throw new Error('usage: bench/heap-copies.ts FILE.heapsnapshot');
const DEPTH = Number(flags.depth);
const HOLDERS = Number(flags.holders);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nType = meta.node_fields.indexOf('type');
const nName = meta.node_fields.indexOf('name');
const nSize = meta.node_fields.indexOf('self_size');
const nEdges = meta.node_fields.indexOf('edge_count');
const eType = meta.edge_fields.indexOf('type');
const eName = meta.edge_fields.indexOf('name_or_index');
const eTo = meta.edge_fields.indexOf('to_node');
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;

const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + nEdges]! * EF;
}
firstEdge[count] = edges.length;

const typeOf = (n: number) => nodeTypes[nodes[n * NF + nType]!]!;
const nameOf = (n: number) => strings[nodes[n * NF + nName]!]!;
const edgeName = (e: number) => {
  const t = edgeTypes[edges[e + eType]!];
  const v = edges[e + eName]!;
  return t === 'element' || t === 'hidden' ? `[${v}]` : strings[v]!;
};
function* out(n: number): Generator<[edge: number, to: number]> {
  for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += EF) yield [e, edges[e + eTo]! / NF];
}
const prop = (n: number, name: string): number | undefined => {
  for (const [e, to] of out(n)) if (edgeTypes[edges[e + eType]!] === 'property' && strings[edges[e + eName]!] === name) return to;
  return undefined;
};

let live = 0;
for (let i = 0; i < count; i++) live += nodes[i * NF + nSize]!;

// Shortest paths from the roots (node 0), skipping weak edges.
const parent = new Int32Array(count).fill(-1);
const parentEdge = new Int32Array(count).fill(-1);
const seen = new Uint8Array(count);
seen[0] = 1;
let queue = [0];
while (queue.length) {
  const next: number[] = [];
  for (const n of queue) {
    for (const [e, to] of out(n)) {
      if (seen[to] || edgeTypes[edges[e + eType]!] === 'weak') continue;
      seen[to] = 1;
      parent[to] = n;
      parentEdge[to] = e;
      next.push(to);
    }
  }
  queue = next;
}

// Pod copies, and the path that keeps each.
const byPath = new Map<string, number>();
const names = new Map<string, number>();
let pods = 0;
for (let i = 0; i < count; i++) {
  if (typeOf(i) !== 'object') continue;
  const spec = prop(i, 'spec');
  if (spec === undefined || prop(i, 'metadata') === undefined || prop(i, 'status') === undefined) continue;
  if (prop(spec, 'containers') === undefined) continue;
  pods++;
  const md = prop(i, 'metadata')!;
  const nm = prop(md, 'name');
  const ns = prop(md, 'namespace');
  const key = `${ns !== undefined ? nameOf(ns) : ''}/${nm !== undefined ? nameOf(nm) : ''}`;
  names.set(key, (names.get(key) ?? 0) + 1);
  const path = holders(i);
  byPath.set(path, (byPath.get(path) ?? 0) + 1);
}

/** The holders nearest node `i` on its shortest path from the roots (the way from the roots to them is noise). */
function holders(i: number): string {
  const steps: string[] = [];
  let n = i;
  while (parent[n]! >= 0 && steps.length < DEPTH) {
    const p = parent[n]!;
    const t = typeOf(p);
    const label = t === 'object' || t === 'closure' ? nameOf(p) : `(${t})`;
    // Element indices differ per object, and so do the node ids in a WeakMap's ephemeron edge names.
    const via = edgeName(parentEdge[n]!).replace(/^\[\d+\]$|^\d+$/, '[]').replace(/ @\d+/g, '').slice(0, 60);
    steps.push(`${label}.${via}`);
    n = p;
  }
  if (!seen[i]) steps.push('(unreachable)');
  return steps.slice(0, HOLDERS).reverse().join(' → ');
}

const distinct = names.size;
console.log(`${file}: live heap ${(live / 2 ** 20).toFixed(1)} MiB, ${pods} pod objects for ${distinct} pods (${(pods / Math.max(1, distinct)).toFixed(2)} copies each), ${(live / Math.max(1, distinct) / 1024).toFixed(1)} KiB live per pod`);
for (const [path, n] of [...byPath].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${String(n).padStart(7)}  ${path}`);

/** Counts and self sizes of the heap nodes `keyOf` names (undefined: skipped), printed largest first. */
function printLargest(title: string, top: number, keyOf: (i: number) => string | undefined, show = (k: string) => k): void {
  const by = new Map<string, { n: number; bytes: number }>();
  for (let i = 0; i < count; i++) {
    const k = keyOf(i);
    if (k === undefined) continue;
    const e = by.get(k) ?? { n: 0, bytes: 0 };
    e.n++;
    e.bytes += nodes[i * NF + nSize]!;
    by.set(k, e);
  }
  console.log(title);
  for (const [k, e] of [...by].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
    console.log(`${(e.bytes / 2 ** 20).toFixed(1).padStart(8)} MiB ${String(e.n).padStart(9)}  ${show(k)}`);
  }
}

// ArrayBuffer memory (Buffers: cached JSON, stored bytes, sockets' data) by what holds it.
printLargest('ArrayBuffer memory by holder:', 12, (i) => (typeOf(i) === 'native' && nameOf(i).includes('JSArrayBufferData') ? holders(i) : undefined));
// What the rest of the heap is: self sizes by node type and constructor (strings, arrays, closures, …).
printLargest('largest kinds of heap object (self size):', 15, (i) => {
  const t = typeOf(i);
  return t === 'object' || t === 'native' ? `${t} ${nameOf(i)}` : t;
}, (k) => k.slice(0, 100));
