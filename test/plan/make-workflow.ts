/** Build validated `Workflow` values for stage tests (what validate produces, with every default applied). */
import type { ComputeStep, VmRequest, Workflow } from '../../src/model/workflow.js';

export function makeStep(over: Partial<ComputeStep> = {}): ComputeStep {
  return {
    name: 'compute',
    after: [],
    cpus: 2,
    memoryMiB: 256,
    executable: 'bin/xhpl',
    arguments: [],
    mpi: 'openmpi',
    inputs: [],
    outputs: [],
    retries: 0,
    ...over,
  };
}

export function makeVm(over: Partial<VmRequest> = {}): VmRequest {
  return {
    hypervisor: 'kvm',
    image: {
      path: 'images/guest.qcow2',
      absPath: '/wf/images/guest.qcow2',
      location: 'local',
      format: 'qcow2',
      differential: true,
    },
    count: 2,
    cpus: 1,
    memoryMiB: 512,
    ...over,
  };
}

export function makeWorkflow(over: Partial<Workflow> = {}): Workflow {
  return {
    version: 1,
    name: 'wf',
    vm: makeVm(),
    compute: [makeStep()],
    source: { file: 'workflow.yaml', dir: '/wf' },
    ...over,
  };
}
