/** Running vmdag's CLI in-process for integration tests, and making workflow folders for them. */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function vmdag(args: string[], cwd?: string): Promise<CliResult> {
  const r = { stdout: '', stderr: '' };
  const prev = process.cwd();
  if (cwd) process.chdir(cwd);
  try {
    const code = await main(args, {
      isTTY: false,
      out: (t) => {
        r.stdout += t;
      },
      err: (t) => {
        r.stderr += t;
      },
    });
    return { code, ...r };
  } finally {
    if (cwd) process.chdir(prev);
  }
}

/** A fresh folder under os.tmpdir() with the given files; names under bin/ are made executable. */
export function workflowDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-it-'));
  for (const [name, text] of Object.entries(files)) {
    const p = path.join(dir, name);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    if (name.startsWith('bin/')) chmodSync(p, 0o755);
  }
  return dir;
}

/** A shell script that says which MPI rank and which parallel node it is, and writes NAME on rank 0 / node 0. */
export const helloScript = (outName: string) => `#!/bin/sh
r=\${OMPI_COMM_WORLD_RANK:-\${PMI_RANK:-none}}
n=\${OMPI_COMM_WORLD_SIZE:-\${PMI_SIZE:-none}}
echo "rank $r of $n node \${_CONDOR_PROCNO:-?} host $(hostname)"
if [ "$r" = 0 ] || { [ "$r" = none ] && [ "\${_CONDOR_PROCNO:-0}" = 0 ]; }; then
  echo "hello from rank $r of $n" > ${outName}
fi
`;
