/**
 * The oci runtime tells of container exits as conmon writes their exit files (watchContainerExits), which
 * the kubelet's PLEG uses to relist at once: the listener hears the exited container's id, and the state
 * it then lists is exited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Deferred } from '../../src/machinery/index.ts';
import { containerConfig, makeOciEnv, sandboxConfig, type OciTestEnv } from './oci-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const skip = missingRealContainers();

describe('oci container exit events (real containers)', { skip, timeout: 60_000 }, () => {
  let env: OciTestEnv;
  before(async () => {
    env = await makeOciEnv('exits');
  });
  after(async () => {
    await env?.cleanup();
  });

  it('a listener hears the id of a container that exits (here: stopped), and its state is then exited', async () => {
    const rt = env.runtime;
    const cfg = sandboxConfig(env, { name: 'exits' });
    const sandbox = await rt.runPodSandbox(cfg);
    const id = await rt.createContainer(sandbox, containerConfig('sleeper', ['sleep', '3600']), cfg);
    const heard = new Deferred<string>();
    const unsubscribe = rt.watchContainerExits((exited) => {
      if (exited === id) heard.resolve(exited);
    });
    try {
      await rt.startContainer(id);
      assert.equal((await rt.containerStatus(id)).state, 'CONTAINER_RUNNING');
      await rt.stopContainer(id, 0);
      assert.equal(await heard.promise, id);
      const status = await rt.containerStatus(id);
      assert.equal(status.state, 'CONTAINER_EXITED');
    } finally {
      unsubscribe();
      await rt.removePodSandbox(sandbox);
    }
  });
});
