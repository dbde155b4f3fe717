import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEvent, completeRef, microTime, responseStatusOf, withoutManagedFields, type EventParts } from './event.ts';

const parts = (over: Partial<EventParts>): EventParts => ({
  level: 'Metadata', auditID: 'a', stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/default/pods', verb: 'create', user: { username: 'u' },
  sourceIPs: ['127.0.0.1'], userAgent: 'ua', objectRef: { resource: 'pods', namespace: 'default', apiVersion: 'v1', apiGroup: '', name: '' },
  requestObject: { kind: 'Pod' }, responseObject: { kind: 'Pod', metadata: { uid: 'x' } }, omitManagedFields: false,
  requestReceivedAt: Date.parse('2026-12-07T05:00:00.123Z'), stageAt: Date.parse('2026-12-07T05:00:01.5Z'), annotations: {}, ...over,
});

describe('audit event', () => {
  test('each level carries what it should', () => {
    const metadata = buildEvent(parts({ level: 'Metadata' }));
    assert.equal(metadata.requestObject, undefined);
    assert.equal(metadata.responseObject, undefined);
    const request = buildEvent(parts({ level: 'Request' }));
    assert.deepEqual(request.requestObject, { kind: 'Pod' });
    assert.equal(request.responseObject, undefined);
    const full = buildEvent(parts({ level: 'RequestResponse' }));
    assert.deepEqual(full.requestObject, { kind: 'Pod' });
    assert.deepEqual(full.responseObject, { kind: 'Pod', metadata: { uid: 'x' } });
    // Empty reference fields are left out, as Go's omitempty does.
    assert.deepEqual(full.objectRef, { resource: 'pods', namespace: 'default', apiVersion: 'v1' });
    assert.equal(full.requestReceivedTimestamp, '2026-12-07T05:00:00.123000Z');
    assert.equal(full.stageTimestamp, '2026-12-07T05:00:01.500000Z');
    assert.equal(full.annotations, undefined);
    assert.deepEqual(buildEvent(parts({ annotations: { k: 'v' } })).annotations, { k: 'v' });
  });

  test('microTime has six fractional digits', () => {
    assert.equal(microTime(0), '1970-01-01T00:00:00.000000Z');
  });

  test('the object reference takes what the URL lacks from the request object', () => {
    const ref = completeRef({ resource: 'pods', namespace: 'default', name: '' }, { metadata: { name: 'web', namespace: 'other', uid: 'u', resourceVersion: '5' } });
    assert.deepEqual(ref, { resource: 'pods', namespace: 'default', name: 'web', uid: 'u', resourceVersion: '5' });
  });

  test('response status: a code, or the Status fields before it', () => {
    assert.deepEqual(responseStatusOf(200, { kind: 'Pod' }), { metadata: {}, code: 200 });
    const s = responseStatusOf(409, { kind: 'Status', status: 'Failure', message: 'm', reason: 'AlreadyExists', details: { name: 'x' }, code: 409 });
    assert.deepEqual(Object.keys(s), ['metadata', 'status', 'message', 'reason', 'details', 'code']);
  });

  test('managedFields are dropped from objects, list items and table rows, on a copy', () => {
    const mf = [{ manager: 'kubectl' }];
    const obj = { metadata: { name: 'a', managedFields: mf }, items: [{ metadata: { name: 'b', managedFields: mf } }], rows: [{ cells: [], object: { metadata: { managedFields: mf } } }] };
    assert.deepEqual(withoutManagedFields(obj), { metadata: { name: 'a' }, items: [{ metadata: { name: 'b' } }], rows: [{ cells: [], object: { metadata: {} } }] });
    assert.equal(obj.metadata.managedFields, mf);
    assert.ok(buildEvent(parts({ level: 'RequestResponse', omitManagedFields: true, requestObject: obj })).requestObject !== obj);
  });
});
