import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES } from '../../api/index.ts';
import { finalizersOnDelete } from './gc-finalizers.ts';
import { strategyFor } from './index.ts';

test('a DELETE sets the finalizer its propagation policy asks for, after the object\'s own', () => {
  const cases: { name: string; had?: string[]; options: object; policy?: 'OrphanDependents'; want: string[]; changed: boolean }[] = [
    { name: 'background adds nothing', options: { propagationPolicy: 'Background' }, want: [], changed: false },
    { name: 'no policy, default background', options: {}, want: [], changed: false },
    { name: 'foreground', had: ['example.com/x'], options: { propagationPolicy: 'Foreground' }, want: ['example.com/x', 'foregroundDeletion'], changed: true },
    { name: 'orphan', options: { propagationPolicy: 'Orphan' }, want: ['orphan'], changed: true },
    { name: 'orphanDependents: true', options: { orphanDependents: true }, want: ['orphan'], changed: true },
    { name: 'orphanDependents: false drops orphan', had: ['orphan'], options: { orphanDependents: false }, want: [], changed: true },
    { name: 'a later foreground replaces orphan', had: ['orphan', 'a'], options: { propagationPolicy: 'Foreground' }, want: ['a', 'foregroundDeletion'], changed: true },
    { name: 'no policy keeps the object\'s choice', had: ['foregroundDeletion'], options: {}, want: ['foregroundDeletion'], changed: false },
    { name: 'the resource default orphans', options: {}, policy: 'OrphanDependents', want: ['orphan'], changed: true },
    { name: 'an explicit policy beats the default', options: { propagationPolicy: 'Background' }, policy: 'OrphanDependents', want: [], changed: false },
  ];
  for (const c of cases) {
    const got = finalizersOnDelete(c.had, c.options, c.policy);
    assert.deepEqual(got, { finalizers: c.want, changed: c.changed }, c.name);
  }
});

test('every served kind keeps an object with finalizers on DELETE; v1 ReplicationControllers and batch/v1 Jobs orphan by default', () => {
  for (const info of RESOURCES) {
    const s = strategyFor(info);
    const obj = { metadata: { name: 'x', finalizers: ['example.com/hold'] }, spec: { finalizers: [] } };
    assert.equal(s.finalizing(obj), true, `${info.group}/${info.plural}`);
    assert.equal(s.finalizing({ metadata: { name: 'x' }, spec: { finalizers: [] } }), false, `${info.group}/${info.plural} without finalizers`);
    const orphans = (info.group === '' && info.plural === 'replicationcontrollers') || (info.group === 'batch' && info.plural === 'jobs');
    assert.equal(s.defaultGarbageCollectionPolicy === 'OrphanDependents', orphans, `${info.group}/${info.plural} default policy`);
  }
});
