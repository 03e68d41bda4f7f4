/**
 * The bad-input corpus (bad-input-corpus.ts) through the real CLI process, each run within 1 s of wall time
 * and 256 MiB of memory. Lab project: ~900 node processes take minutes on two cores, and need the built dist/.
 */
import { badInputSuite, CORPUS } from './bad-input-corpus.js';
import { runCli } from './cli-process.js';

badInputSuite('bad input through the real CLI', (args) => runCli(args, { cwd: CORPUS }), true);
