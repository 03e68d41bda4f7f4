/** The DAGMan job of a spooled run, rewritten from what condor_submit_dag -no_submit wrote on the lab. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configAsEnvironment,
  SPOOL_SCRIPT,
  spoolOutputs,
  spoolScript,
  spoolSubmitDescription,
} from '../../src/condor/spool-dag.js';

const generated = readFileSync(
  new URL('../../fixtures/recorded/dagman-no-submit/hpl-2vm.dag.condor.sub', import.meta.url),
  'utf8',
);
const outputs = spoolOutputs('hpl-2vm.dag', 'hpl-2vm');
const text = spoolSubmitDescription(generated, {
  dagFile: 'hpl-2vm.dag',
  inputs: ['hpl-2vm.dag', 'vms.sub', '/images/guest.qcow2'],
  outputs,
  environment: configAsEnvironment(
    '# c\nDAGMAN_USER_LOG_SCAN_INTERVAL = 1\nDAGMAN_AGGRESSIVE_SUBMIT = True\n',
  ),
});
const line = (key: string) => text.split('\n').filter((l) => l.startsWith(`${key} =`));

describe('spooled DAGMan job', () => {
  it('runs vmdag-dagman.sh (sent with it) instead of the submit host’s condor_dagman', () => {
    expect(generated).toMatch(/^executable\s*=\s*\/usr\/bin\/condor_dagman/m);
    expect(line('executable')).toEqual([`executable = ${SPOOL_SCRIPT}`]);
    expect(line('transfer_executable')).toEqual(['transfer_executable = true']);
  });

  it('takes nothing of the submit host’s environment: no getenv, no schedd address files, no config path', () => {
    expect(generated).toMatch(/_CONDOR_SCHEDD_ADDRESS_FILE=/);
    expect(text).not.toMatch(/^getenv/m);
    const env = line('environment')[0] ?? '';
    expect(env).not.toMatch(/SCHEDD_ADDRESS_FILE|SCHEDD_DAEMON_AD_FILE|DAGMAN_CONFIG_FILE|\/tmp\//);
    expect(env).toMatch(/_CONDOR_DAGMAN_LOG=hpl-2vm\.dag\.dagman\.out/);
    expect(env).toMatch(/_CONDOR_DAGMAN_USER_LOG_SCAN_INTERVAL=1 _CONDOR_DAGMAN_AGGRESSIVE_SUBMIT=True"$/);
  });

  it('sends the run and brings back exactly the listed outputs, before its queue line', () => {
    const lines = text.split('\n');
    const q = lines.findIndex((l) => /^queue/.test(l));
    expect(lines.slice(q - 3, q)).toEqual([
      'when_to_transfer_output = ON_EXIT',
      'transfer_input_files = hpl-2vm.dag, vms.sub, /images/guest.qcow2',
      `transfer_output_files = ${outputs.join(', ')}`,
    ]);
    expect(lines.filter((l) => /^queue/.test(l))).toHaveLength(1);
    // The rest of condor_submit_dag's description is kept as it was (arguments, log, remove signal …).
    for (const key of ['arguments', 'log', 'remove_kill_sig', 'on_exit_remove', 'universe']) {
      const kept = generated.split('\n').filter((l) => new RegExp(`^${key}\\s*=`).test(l));
      expect(kept).toHaveLength(1);
      expect(lines).toContain(kept[0]);
    }
  });

  it('run: no sums (nothing sent from elsewhere) starts DAGMan; a sent file that changed stops it before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmdag-spool-'));
    try {
      // The script as written, DAGMan replaced by an echo (condor_dagman is not on this machine).
      const script = spoolScript(outputs).replace('exec condor_dagman "$@"', 'echo "dagman $*"');
      writeFileSync(join(dir, 'run.sh'), script);
      writeFileSync(join(dir, 'vmdag-send.sha256'), '');
      const sh = (args: string[]) => spawnSync('sh', ['run.sh', ...args], { cwd: dir, encoding: 'utf8' });
      expect(sh(['-f']).stdout).toBe('dagman -f\n');
      expect(existsSync(join(dir, 'logs')) && existsSync(join(dir, 'hpl-2vm.dag.nodes.log'))).toBe(true);
      writeFileSync(join(dir, 'image.qcow2'), 'changed on its way');
      writeFileSync(join(dir, 'vmdag-send.sha256'), `${'0'.repeat(64)}  image.qcow2\n`);
      const r = sh(['-f']);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/a file of this run is not what was sent/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the script checks the sums before anything runs, and makes every listed file', () => {
    const s = spoolScript(outputs);
    expect(s.indexOf('sha256sum --check')).toBeLessThan(s.indexOf('exec condor_dagman'));
    for (const f of outputs.filter((o) => o !== 'logs' && o !== 'outputs')) expect(s).toContain(f);
    expect(s).toMatch(/mkdir -p logs outputs/);
  });
});
