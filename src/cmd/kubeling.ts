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
// The server's young generation is sized at start-up (heap-settings.ts): node starts again with it first.
if (process.argv[2] === 'server') (await import('./heap-settings.ts')).restartWithServerFlags();
// Small Buffers are slices of shared slabs, and a slab stays as long as any slice of it does. Node 24's slabs are
// 64 KiB: one small Buffer a long-lived connection keeps (a TLS socket's ALPN protocol list) held a slab each,
// ~10 MiB for 150 connections in the server. Node 22's 8 KiB keeps that small; the cost is more slabs made.
Buffer.poolSize = 8 * 1024;
const { main } = await import('./commands.ts');
process.exitCode = await main(process.argv.slice(2));
