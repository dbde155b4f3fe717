#!/usr/bin/env node
/**
 * The `kubeling` binary (its commands: commands.ts). It turns on Node's module compile cache before it loads
 * anything else: without it every start strips the types of hundreds of TypeScript modules and compiles them
 * again (about 3 s of a server's start on a busy machine), with it a start reads both from the cache
 * (`os.tmpdir()/node-compile-cache`, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off).
 */
import { enableCompileCache } from 'node:module';

const cache = enableCompileCache();
// Worker threads (the scheduler's, with --scheduler-thread) take the cache from the environment.
if (cache.directory && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = cache.directory;
const { main } = await import('./commands.ts');
process.exitCode = await main(process.argv.slice(2));
