import { defineConfig } from 'vitest/config';

/**
 * Two projects (README.md, "Install and test"):
 * - `unit`: no lab, no HTCondor, no VM, no built dist/ — about a minute on two cores. `npm run test:unit`,
 *   and what a plain `npx vitest run` runs.
 * - `lab`: the files below, which need the real pool (labContext(), runCondor, condor_submit -dry-run), the
 *   lab's qemu or guest image, or many processes of the built CLI. `npm test` (scripts/test.mjs) brings the
 *   lab up and runs both projects, the unit files first.
 *
 * The lab project exists only when VMDAG_LAB_TESTS=1 (set by scripts/test.mjs), so that a plain
 * `npx vitest run` on a machine whose lab happens to be up stays the one-minute loop instead of silently
 * becoming the 30-minute suite. One lab project alone: `npm test -- --project lab`.
 */
const LAB = [
  'test/check/check-lab.test.ts',
  'test/faults/bad-input.test.ts',
  'test/faults/bad-input-cli.test.ts',
  'test/faults/injection.test.ts',
  'test/faults/isolation.test.ts',
  'test/faults/bad-image.test.ts',
  'test/faults/scenarios.test.ts',
  'test/faults/restart.test.ts',
  'test/faults/teardown.test.ts',
  'test/faults/vm-scenarios.test.ts',
  'test/integration/*.test.ts',
  'test/lab/lab-exec.test.ts',
  'test/lab/lab-jobs.test.ts',
  'test/lab/lab-status.test.ts',
  'test/lab/qemu-img-files.test.ts',
  'test/report/html-chromium.test.ts',
  'test/report/report-run.test.ts',
  'test/report/report-vm.test.ts',
  'test/site-kit/guest-boot.test.ts',
  'test/site-kit/libvirt-xml-qemu.test.ts',
  'test/site-kit/vm-job-guest.test.ts',
  'test/site-catalog/sites-command.test.ts',
  'test/image-staging/plan-staging.test.ts',
  'test/image-staging/staged-dry-run.test.ts',
  'test/image-staging/staged-vm-run.test.ts',
];

const withLab = process.env.VMDAG_LAB_TESTS === '1';

export default defineConfig({
  test: {
    // Files in a random order (vitest prints the seed; `--sequence.seed N` repeats it), so that a test that
    // leans on another file's leftovers fails here rather than on a fresh clone.
    sequence: { shuffle: { files: true, tests: false } },
    // The run's own TMPDIR, removed at its end (test/run-tmpdir.ts).
    globalSetup: ['test/run-tmpdir.ts'],
    testTimeout: 30_000,
    hookTimeout: 600_000,
    reporters: ['default'],
    projects: [
      {
        extends: true as const,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: LAB,
          // Each file runs in its own worker process (chdir and env changes stay inside it): in parallel.
          fileParallelism: true,
          sequence: { groupOrder: 0 },
        },
      },
      ...(withLab
        ? [
            {
              extends: true as const,
              test: {
                name: 'lab',
                include: LAB,
                // Lab tests share one HTCondor pool and a 2-core machine: run files one after another.
                fileParallelism: false,
                sequence: { groupOrder: 1 },
              },
            },
          ]
        : []),
    ],
  },
});
