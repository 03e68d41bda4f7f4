#!/usr/bin/env node
// npm test: run the whole suite with vitest. (The lab bring-up is added here by the lab work.)
import { spawnSync } from 'node:child_process';

const r = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
