#!/usr/bin/env node
/**
 * Regenerates schema.generated.json: the field tables (number → JSON name, type, label) of the Kubernetes
 * protobuf messages the server decodes, read from the `generated.proto` files of k8s.io/api and
 * k8s.io/apimachinery. Run with the two repositories checked out:
 *   node src/apiserver/protobuf/generate.ts API_DIR APIMACHINERY_DIR
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [apiDir, machineryDir] = process.argv.slice(2);
if (!apiDir || !machineryDir) {
  console.error('usage: generate.ts API_DIR APIMACHINERY_DIR');
  process.exit(2);
}
const FILES = [
  join(apiDir, 'core/v1/generated.proto'),
  join(apiDir, 'apps/v1/generated.proto'),
  join(apiDir, 'batch/v1/generated.proto'),
  join(apiDir, 'authentication/v1/generated.proto'),
  join(apiDir, 'authorization/v1/generated.proto'),
  join(apiDir, 'certificates/v1/generated.proto'),
  join(apiDir, 'coordination/v1/generated.proto'),
  join(apiDir, 'events/v1/generated.proto'),
  join(apiDir, 'autoscaling/v1/generated.proto'),
  join(apiDir, 'autoscaling/v2/generated.proto'),
  join(apiDir, 'policy/v1/generated.proto'),
  join(apiDir, 'rbac/v1/generated.proto'),
  join(machineryDir, 'pkg/apis/meta/v1/generated.proto'),
  join(machineryDir, 'pkg/runtime/generated.proto'),
  join(machineryDir, 'pkg/api/resource/generated.proto'),
  join(machineryDir, 'pkg/util/intstr/generated.proto'),
];
const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float', 'sint32', 'sint64', 'fixed32', 'fixed64']);

/** field number → [jsonName, type, 'optional'|'repeated'|'map', mapValueType?] */
type Field = [string, string, string, string?];
const schema: Record<string, Record<string, Field>> = {};

function qualify(type: string, pkg: string): string {
  if (SCALARS.has(type)) return type;
  if (type.startsWith('.')) return type.slice(1);
  return `${pkg}.${type}`;
}

for (const file of FILES) {
  const text = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
  const pkg = /^package ([\w.]+);/m.exec(text)![1]!;
  for (const m of text.matchAll(/^message (\w+) \{([\s\S]*?)^\}/gm)) {
    const fields: Record<string, Field> = {};
    for (const f of m[2]!.matchAll(/^\s+(optional|repeated) ([\w.]+) (\w+) = (\d+)/gm)) {
      fields[f[4]!] = [f[3]!, qualify(f[2]!, pkg), f[1]!];
    }
    for (const f of m[2]!.matchAll(/^\s+map<(\w+),\s*([\w.]+)> (\w+) = (\d+)/gm)) {
      fields[f[4]!] = [f[3]!, qualify(f[1]!, pkg), 'map', qualify(f[2]!, pkg)];
    }
    schema[`${pkg}.${m[1]}`] = fields;
  }
}
writeFileSync(new URL('./schema.generated.json', import.meta.url), JSON.stringify(schema) + '\n');
console.log(`${Object.keys(schema).length} messages`);
