import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { finishedAd, labContext, NO_LAB, requireOrSkip, runDir, submit } from './lab-context.js';

const ctx = await labContext();

requireOrSkip(ctx, NO_LAB).describe('jobs on the lab pool (real HTCondor)', () => {
  it('a vanilla job submitted through lab exec completes and its output comes back', {
    timeout: 200_000,
  }, async () => {
    if (!ctx) throw new Error('the lab is not running: vmdag lab up');
    const dir = runDir({
      'job.sub': [
        'universe = vanilla',
        'executable = /bin/sh',
        `arguments = "-c 'echo hello from the lab; id -un'"`,
        'output = job.out',
        'error = job.err',
        'log = job.log',
        'request_memory = 64',
        'queue',
        '',
      ].join('\n'),
    });
    const cluster = await submit(ctx, dir, 'job.sub');
    const ad = await finishedAd(ctx, dir, 'job.log', cluster);
    expect(ad.JobStatus).toBe(4); // Completed
    expect(ad.ExitCode).toBe(0);
    expect(ad.Owner).toBe('vmdag');
    expect(readFileSync(path.join(dir, 'job.out'), 'utf8')).toBe('hello from the lab\nvmdag\n');
  });

  it('a parallel-universe job with machine_count = 2 runs real mpirun on node 0', {
    timeout: 200_000,
  }, async () => {
    if (!ctx) throw new Error('the lab is not running: vmdag lab up');
    const dir = runDir(
      {
        // Both nodes are slots of this one machine: node 0 starts two MPI ranks locally; node 1 reports in.
        'mpi.sh': [
          '#!/bin/sh',
          'HOME=$_CONDOR_SCRATCH_DIR; export HOME',
          'if [ "$_CONDOR_PROCNO" = 0 ]; then',
          `  exec mpirun --oversubscribe -np 2 sh -c 'echo "rank $OMPI_COMM_WORLD_RANK of $OMPI_COMM_WORLD_SIZE"'`,
          'fi',
          'echo "node $_CONDOR_PROCNO of $_CONDOR_NPROCS"',
          '',
        ].join('\n'),
        'mpi.sub': [
          'universe = parallel',
          'executable = mpi.sh',
          'machine_count = 2',
          'should_transfer_files = YES',
          'when_to_transfer_output = ON_EXIT',
          'output = out.$(Node)',
          'error = err.$(Node)',
          'log = mpi.log',
          'request_memory = 64',
          '+ParallelShutdownPolicy = "WAIT_FOR_ALL"',
          'queue',
          '',
        ].join('\n'),
      },
      { 'mpi.sh': 0o755 },
    );
    const cluster = await submit(ctx, dir, 'mpi.sub');
    const ad = await finishedAd(ctx, dir, 'mpi.log', cluster);
    expect(ad.JobStatus).toBe(4);
    expect(ad.JobUniverse).toBe(11); // parallel
    expect(ad.MinHosts).toBe(2);
    const ranks = readFileSync(path.join(dir, 'out.0'), 'utf8').trim().split('\n').sort();
    expect(ranks).toEqual(['rank 0 of 2', 'rank 1 of 2']);
    expect(readFileSync(path.join(dir, 'out.1'), 'utf8')).toBe('node 1 of 2\n');
  });
});
