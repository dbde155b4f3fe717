/**
 * One FakeApiServer and a Client for it, shared by all the tests of a file: the set-up the client, informer,
 * event recorder, controller and scheduler unit tests have in common. The hooks are node:test's, registered
 * at the file's top level, so the server starts before the file's first test and stops after its last.
 */
import { after, before } from 'node:test';
import { Client } from '../index.ts';
import { FakeApiServer } from './fake-apiserver.ts';

export interface FakeApi {
  server: FakeApiServer;
  /** Talks to `server` over HTTPS with its token, trusting its certificate. */
  client: Client;
}

/**
 * Registers `before` (start the server, make the client, hand both to `started`) and `after` (close the
 * client, stop the server). Call it once at the top level of a test file; `started` usually stores the pair
 * in the file's `server` and `client` variables.
 */
export function fakeApiServerForFile(started: (api: FakeApi) => void): void {
  let api: FakeApi | undefined;
  before(async () => {
    const server = await new FakeApiServer().start();
    api = { server, client: new Client({ server: server.url, token: server.token, caData: server.ca }) };
    started(api);
  });
  after(async () => {
    api?.client.close();
    await api?.server.stop();
  });
}
