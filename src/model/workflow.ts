/**
 * The workflow of DSL v1 after validation, with every default applied and every size and duration
 * normalised (memory in MiB, durations in seconds). The validate stage produces it; plan consumes it.
 */
export type Hypervisor = 'kvm' | 'xen';
export type ImageLocation = 'local' | 'cluster';
export type ImageFormat = 'qcow2' | 'raw';
export type MpiKind = 'openmpi' | 'mpich' | 'none';

export interface ImageSpec {
  /** As written in the workflow. */
  path: string;
  /** Absolute path: local images resolved against the workflow's folder; cluster images as written. */
  absPath: string;
  location: ImageLocation;
  format: ImageFormat;
  differential: boolean;
  sha256?: string;
}

export interface VmRequest {
  hypervisor: Hypervisor;
  image: ImageSpec;
  count: number;
  cpus: number;
  memoryMiB: number;
  /** Hard upper bound on each VM's life in seconds, when the workflow gives one. */
  leaseSeconds?: number;
}

export interface ComputeStep {
  name: string;
  after: string[];
  /** Total cores = MPI ranks. */
  cpus: number;
  /** Per VM (or per node, without a `vm` section). */
  memoryMiB: number;
  executable: string;
  arguments: string[];
  mpi: MpiKind;
  inputs: string[];
  outputs: string[];
  retries: number;
  walltimeSeconds?: number;
}

export interface Workflow {
  version: 1;
  name: string;
  description?: string;
  vm?: VmRequest;
  compute: ComputeStep[];
  site?: string;
  /** Where the workflow came from: the file as named, and its folder (absolute). */
  source: { file: string; dir: string };
}

/**
 * How a run's files reach a site's schedd. `spool`: the run directory travels with the DAGMan job
 * (condor_submit -spool) and is unpacked flat in its working directory there — no shared file system.
 * `shared`: the schedd sees the run directory at the same path.
 */
export type Transfer = 'spool' | 'shared';

export interface Site {
  name: string;
  /** The organisation's gateway: its central manager, host[:port]. */
  pool: string;
  schedd?: string;
  images?: string;
  /** Resolved by the catalog reader: `spool` unless the catalog says `shared` (organisations share nothing). */
  transfer: Transfer;
  /** Absolute folder of IDTOKENS for this site's HTCondor commands (`_CONDOR_SEC_TOKEN_DIRECTORY`). */
  tokens?: string;
}

export interface SiteCatalog {
  version: 1;
  sites: Site[];
  source: { file: string; dir: string };
}
