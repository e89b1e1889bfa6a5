#!/usr/bin/env node
// The `unfold` executable (package.json "bin"). Everything testable lives in run.ts;
// this file only connects it to the process.
import { nodeIO } from './node-io.js';
import { runCli } from './run.js';

// `unfold ... | head` closes stdout early; that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// exitCode rather than process.exit(): pending writes to a pipe still get flushed.
process.exitCode = await runCli(process.argv.slice(2), nodeIO());
