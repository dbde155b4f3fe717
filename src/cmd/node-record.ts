/**
 * What a node on real containers made on this host that outlives it, written to `DIR/node.json` when the
 * node starts: its name, pod CIDR, CNI bridge and the nftables tables of its service proxy and pod
 * network. `kubeling killall` reads it to remove exactly this node's things and no other node's on the
 * same host (their names are hashes of node name and pod CIDR).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { masqueradeTable } from '../network/index.ts';
import { tableName } from '../proxy/index.ts';

export interface NodeRecord {
  name: string;
  podCidr: string;
  bridge: string;
  /** nftables tables (family ip) the node's proxy and pod network own. */
  tables: string[];
}

const FILE = 'node.json';

export function nodeRecord(node: { name: string; podCidr: string; bridge: string }): NodeRecord {
  return { name: node.name, podCidr: node.podCidr, bridge: node.bridge, tables: [tableName(node.name, node.podCidr), masqueradeTable(node.name, node.podCidr)] };
}

export function writeNodeRecord(dataDir: string, record: NodeRecord): void {
  const file = join(dataDir, FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The record, or undefined when the data dir has none (no oci node ever ran there, or an older kubeling). */
export function readNodeRecord(dataDir: string): NodeRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as NodeRecord;
  } catch {
    return undefined;
  }
}
