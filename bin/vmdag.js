#!/usr/bin/env node
// dist/bundle/: the CLI bundled by scripts/build-bundle.mjs (`npm run build`), so that a start loads a few
// files instead of ~40 modules.
import { main } from '../dist/bundle/cli.js';

process.exitCode = await main(process.argv.slice(2));
