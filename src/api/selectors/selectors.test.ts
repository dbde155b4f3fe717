import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelSelector, labelSelectorMatches, labelSelectorFromObject, LabelSelectorError } from './label-selector.ts';
import { parseFieldSelector, fieldSelectorMatches, convertFieldSelector, FieldSelectorError } from './field-selector.ts';

test('label selector text: parsing, canonical form and matching', () => {
  const cases: [string, string, Record<string, string>, boolean][] = [
    ['', '', {}, true],
    ['app=web', 'app=web', { app: 'web' }, true],
    ['app==web', 'app==web', { app: 'db' }, false],
    ['app!=web', 'app!=web', {}, true],
    ['tier in (a, b)', 'tier in (a,b)', { tier: 'b' }, true],
    ['tier notin (a,b)', 'tier notin (a,b)', { tier: 'c' }, true],
    ['tier notin (a,b)', 'tier notin (a,b)', {}, true],
    ['canary', 'canary', { canary: '' }, true],
    ['!canary', '!canary', { canary: 'x' }, false],
    ['b=1,a=2', 'a=2,b=1', { a: '2', b: '1' }, true],
    ['gen>3', 'gen>3', { gen: '4' }, true],
    ['gen<3', 'gen<3', { gen: 'x' }, false],
    ['env in (in, notin)', 'env in (in,notin)', { env: 'notin' }, true],
    ['x=', 'x=', { x: '' }, true],
    ['example.com/role=db', 'example.com/role=db', { 'example.com/role': 'db' }, true],
  ];
  for (const [text, canonical, labels, want] of cases) {
    const sel = parseLabelSelector(text);
    assert.equal(sel.toString(), canonical, text);
    assert.equal(sel.matches(labels), want, text);
  }
  assert.equal(labelSelectorMatches('a=b', { a: 'b' }), true);
});

test('label selector errors match apimachinery', () => {
  const cases: [string, string][] = [
    ['a=b,', "found '', expected: identifier after ','"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['=b', "found '=', expected: !, identifier, or 'end of string'"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a (b)', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['-a=b', "unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
    ['a=-b', "unable to parse requirement: values[0][a]: Invalid value: \"-b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
    ['a>b', "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer"],
  ];
  for (const [text, msg] of cases) {
    assert.throws(() => parseLabelSelector(text), (e: unknown) => e instanceof LabelSelectorError && e.message === msg, text);
  }
});

test('LabelSelector objects', () => {
  assert.equal(labelSelectorFromObject(undefined).matches({}), false);
  assert.equal(labelSelectorFromObject({}).matches({ any: 'thing' }), true);
  const sel = labelSelectorFromObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }, { key: 'gone', operator: 'DoesNotExist' }] });
  assert.equal(sel.matches({ app: 'web', tier: 'fe' }), true);
  assert.equal(sel.matches({ app: 'web', tier: 'db' }), false);
  assert.equal(sel.matches({ app: 'web', gone: '1' }), false);
  assert.equal(sel.toString(), 'app=web,!gone,tier notin (db)');
  assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), /"Foo" is not a valid label selector operator/);
  assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In' }] }), /values: Invalid value: \[\]string\{\}: for 'in', 'notin' operators, values set can't be empty/);
});

test('field selectors per resource', () => {
  const pod = { metadata: { name: 'nginx', namespace: 'default' }, spec: { nodeName: 'n1', restartPolicy: 'Always', containers: [] }, status: { phase: 'Running', podIPs: [{ ip: '10.42.0.5' }] } };
  const cases: [string, boolean][] = [
    ['metadata.name=nginx', true], ['metadata.name==nginx', true], ['metadata.name!=nginx', false],
    ['spec.nodeName=n1,status.phase=Running', true], ['spec.nodeName=', false], ['status.podIP=10.42.0.5', true],
    ['spec.host=n1', true], ['status.nominatedNodeName=', true], ['spec.schedulerName=', true], ['', true],
  ];
  for (const [sel, want] of cases) assert.equal(fieldSelectorMatches('pods', pod, sel), want, sel);
  assert.throws(() => fieldSelectorMatches('pods', pod, 'spec.foo=bar'), (e: unknown) => e instanceof FieldSelectorError && e.message === 'field label not supported: spec.foo');
  assert.throws(() => fieldSelectorMatches('configmaps', {}, 'data.x=1'), { message: '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"' });
  assert.throws(() => parseFieldSelector('abc'), { message: "invalid selector: 'abc'; can't understand 'abc'" });
  assert.equal(parseFieldSelector('a=x\\,y').requirements[0]!.value, 'x,y');

  const ev = { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'nginx', namespace: 'default', uid: 'u1' }, reason: 'Pulled', source: { component: 'kubelet' }, type: 'Normal' };
  assert.equal(fieldSelectorMatches('events', ev, 'involvedObject.name=nginx,involvedObject.namespace=default,involvedObject.uid=u1'), true);
  assert.equal(fieldSelectorMatches('events', ev, 'source=kubelet,type=Normal,reason=Pulled'), true);
  assert.equal(fieldSelectorMatches('events', ev, 'involvedObject.uid=u2'), false);
  const ev1 = { apiVersion: 'events.k8s.io/v1', metadata: { name: 'e', namespace: 'default' }, regarding: { kind: 'Pod', name: 'nginx' }, reportingController: 'kubelet', reason: 'Started', type: 'Normal' };
  assert.equal(fieldSelectorMatches('events.events.k8s.io', ev1, 'regarding.name=nginx,reportingController=kubelet,reason=Started'), true);
  assert.equal(fieldSelectorMatches('events.events.k8s.io', ev1, 'regarding.kind=Node'), false);
  assert.throws(() => fieldSelectorMatches('events.events.k8s.io', ev1, 'note=x'), { message: 'field label not supported: note' });
  assert.equal(fieldSelectorMatches('nodes', { metadata: { name: 'n1' }, spec: { unschedulable: true } }, 'spec.unschedulable=true'), true);
  assert.equal(convertFieldSelector('pods', parseFieldSelector('spec.host=n')).requiresExactMatch('spec.nodeName'), 'n');
});
