import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Lab tests share one HTCondor pool and a 2-core machine: run files one after another.
    fileParallelism: false,
    // Files in a random order (vitest prints the seed; `--sequence.seed N` repeats it), so that a test that
    // leans on another file's leftovers fails here rather than on a fresh clone.
    sequence: { shuffle: { files: true, tests: false } },
    testTimeout: 30_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
