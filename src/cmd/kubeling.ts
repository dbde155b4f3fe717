#!/usr/bin/env node
/**
 * The `kubeling` binary: one executable, subcommands. `kubeling server ...` runs the all-in-one control plane
 * (see server.ts). Usage errors print one line to stderr and exit 2.
 */
import { runServer } from './server.ts';
import { runImage } from './image.ts';
import { runRun } from '../cli/run.ts';
import { runAgent } from './agent.ts';

const USAGE = 'usage: kubeling server [--data-dir DIR] [--listen HOST:PORT] [--storage sqlite|memory] [--runtime oci|fake] [--no-agent] [--disable-scheduler] [--disable-controller-manager] [--node-name N] [--node-labels k=v,...] [--register-with-taints k=v:Effect,...] [--node-taint k=v:Effect,...]';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  server: runServer,
  image: runImage,
  run: runRun,
  agent: runAgent,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`kubeling: unknown command ${JSON.stringify(command)} (want one of: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  return run(rest);
}

process.exitCode = await main(process.argv.slice(2));
