/**
 * One `kubeling server` and an API client for it (from the admin kubeconfig), shared by all the tests of an
 * end-to-end file: node:test `before`/`after` hooks registered at the file's top level start them before the
 * first test and close the client and stop the server after the last.
 */
import { after, before } from 'node:test';
import { Client } from '../../../src/client/index.ts';
import { startServer, type ServerHandle, type StartServerOptions } from './server.ts';

export interface ServerAndClient {
  server: ServerHandle;
  client: Client;
}

/**
 * Registers the hooks; `started` gets the server and client once both are up (it usually stores them in the
 * file's `server` and `client` variables). Call it once, at the top level of a test file.
 */
export function serverWithClientForFile(options: StartServerOptions, started: (s: ServerAndClient) => void): void {
  let server: ServerHandle | undefined;
  let client: Client | undefined;
  before(async () => {
    server = await startServer(options);
    client = await Client.fromKubeconfig(server.kubeconfig);
    started({ server, client });
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });
}
