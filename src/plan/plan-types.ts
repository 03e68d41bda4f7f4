/**
 * The resolved model of one workflow: everything render needs, nothing it must compute. Produced by the pure
 * `planWorkflow`; serialised (each `absPath` made relative to the workflow's folder when it lies inside it) into
 * the run directory's `plan.json`.
 */
import type { Hypervisor, ImageFormat, ImageLocation, MpiKind, Transfer } from '../model/workflow.js';

/** Where the DAG runs: the local pool (`local`), or a catalog site (src/plan/planned-site.ts). */
export interface PlannedSite {
  name: string;
  /** Central manager host[:port]; absent for the local pool. */
  pool?: string;
  schedd?: string;
  /**
   * How the run's files reach the site's schedd. `spool`: the run directory travels with the DAGMan job and
   * sits flat in its working directory there, so the DAG's jobs name every file they take from the submit
   * side by its base name (`dagPath`), and `Plan.send` lists them. `shared`: the schedd sees the run
   * directory at the same path (absolute paths). The catalog's default is `spool`; the local pool is `shared`.
   */
  transfer: Transfer;
  /** Absolute folder of IDTOKENS for the site's HTCondor commands (`_CONDOR_SEC_TOKEN_DIRECTORY`). */
  tokens?: string;
}

export interface PlannedImage {
  /** As written in the workflow. */
  path: string;
  /** Absolute path of the base image (on the submit host when transferred, else on the cluster). */
  absPath: string;
  /**
   * When transferred: the path the VM jobs' `transfer_input_files` names it by — `absPath` when the site
   * sees the run directory (`shared`), its base name when the run travels (`spool`: it sits in the DAG's
   * working directory at the site).
   */
  dagPath?: string;
  location: ImageLocation;
  format: ImageFormat;
  /** Each VM boots from its own copy-on-write overlay made by the site kit; the base is opened read-only. */
  differential: boolean;
  /** The image travels with each VM job (HTCondor file transfer); else it is on the cluster (staged or there). */
  transferred: boolean;
  /**
   * How it reaches the VMs: `staged` (copied once per run into the site's images folder by `vmdag submit`,
   * used in place), `per-vm` (HTCondor file transfer with each VM job), `in-place` (location: cluster).
   */
  delivery: 'staged' | 'per-vm' | 'in-place';
  /** Size of a local image in bytes. */
  bytes?: number;
  /** The staged copy (delivery `staged`): its absolute path at the site; `reused` when an earlier run put it there. */
  staged?: { path: string; reused: boolean };
  /** What `vm_disk` names: the bare file name when transferred, else the absolute path (staged or cluster). */
  diskFile: string;
  /** `vm_disk` device: `vda` for kvm, `xvda` for xen. */
  device: string;
  /** `r` when differential (the base is never written) or used in place on the cluster (shared by every VM);
   * `w` for a VM's own transferred copy. */
  access: 'r' | 'w';
  sha256?: string;
}

export interface PlannedVm {
  index: number;
  cpus: number;
  memoryMiB: number;
}

export interface PlannedVms {
  hypervisor: Hypervisor;
  count: number;
  cpus: number;
  memoryMiB: number;
  leaseSeconds?: number;
  image: PlannedImage;
  /** One entry per VM (all alike: one VM-universe cluster with `queue <count>`). */
  vms: PlannedVm[];
  /** KiB for `request_disk`: the image when transferred, plus room for an overlay. */
  requestDiskKiB: number;
  /** Seconds the gate waits for every guest to join before failing the DAG. */
  gateTimeoutSeconds: number;
  /** Seconds the FINAL node waits for every VM job to leave the queue. */
  stopTimeoutSeconds: number;
}

export interface PlannedFile {
  /** As written in the workflow. */
  path: string;
  /** Absolute path on the submit host. */
  absPath: string;
  /** File name in the job's sandbox. */
  name: string;
  /**
   * The path the DAG's jobs name it by (`transfer_input_files`): `absPath` when the site sees the run
   * directory (`shared`), `name` when the run travels (`spool`: it sits in the DAG's working directory at the
   * site).
   */
  dagPath: string;
}

export interface PlannedExecutable {
  /** As written in the workflow. */
  path: string;
  /** Relative executables are transferred from the submit host; absolute ones live inside the image. */
  transferred: boolean;
  /** Absolute source on the submit host, when transferred. */
  absPath?: string;
  /** When transferred: the path the DAG's jobs name it by, as `PlannedFile.dagPath`. */
  dagPath?: string;
  /** How the launcher names it on the execute node: `./name` when transferred, else the absolute path. */
  command: string;
}

export interface PlannedStep {
  /** Also the step's DAG node name (its submit description: compute.sub, shared by every step). */
  name: string;
  after: string[];
  mpi: MpiKind;
  /** Total MPI ranks (= the step's cpus). */
  ranks: number;
  /** Nodes of the parallel job (`machine_count`): VMs used, or slots without a `vm` section. */
  machineCount: number;
  /** Ranks placed on each node (the last node may get fewer); also `request_cpus`. */
  ranksPerNode: number;
  requestCpus: number;
  requestMemoryMiB: number;
  executable: PlannedExecutable;
  arguments: string[];
  inputs: PlannedFile[];
  /** Sandbox file names brought back into the run directory's `outputs/` (from node 0). */
  outputs: string[];
  retries: number;
  walltimeSeconds?: number;
}

export interface DagNode {
  name: string;
  /** `reaper`: the SERVICE node REAP (tuned output): removes the VMs once the last steps ended, and stranded steps. */
  kind: 'service' | 'gate' | 'compute' | 'final' | 'reaper';
  submitFile: string;
}

export interface DagEdge {
  parent: string;
  child: string;
}

export type Tuning = 'latency' | 'defaults';

export interface PlannedDag {
  file: string;
  configFile: string;
  statusFile: string;
  jobstateLog: string;
  nodes: DagNode[];
  edges: DagEdge[];
}

export interface Plan {
  version: 1;
  name: string;
  description?: string;
  source: { file: string; dir: string };
  site: PlannedSite;
  /**
   * Only when the run travels (`site.transfer` `spool`): every file the DAG's jobs take from the submit side
   * (the transferred image, executables, inputs), once each, first use first, as absolute paths on the
   * submit host. They go with the run and sit flat in its folder at the site, where `dagPath` names them.
   */
  send?: string[];
  /** `vm`: steps run on VMs booted for this DAG; `native`: on the pool's own slots. */
  mode: 'vm' | 'native';
  vm?: PlannedVms;
  steps: PlannedStep[];
  /** Seconds a held job (VM or step) may stay held before it is removed, so that the DAG does not stall. */
  holdRemoveSeconds: number;
  /**
   * `latency` (default): the output tuned for start-up and teardown latency (docs/report.md, "Latency");
   * `defaults`: the same DAG as HTCondor's defaults would run it — steps wait for GATE, no REAP node, no
   * DAGMan or vacate knobs, the gate polling every 5 s. For comparing the two (`npm run bench:latency`).
   */
  tuning: Tuning;
  dag: PlannedDag;
}
