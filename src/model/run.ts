/** What vmdag records about a submitted run (`run.json` in the run directory) and what status derives. */
/** `reap`: the SERVICE node REAP of tuned output: removes the VMs once the last steps ended, removes stranded steps. */
export type NodeKind = 'vms' | 'gate' | 'compute' | 'stop' | 'reap';

export interface RunNodeInfo {
  name: string;
  kind: NodeKind;
}

/** The parts of a run directory that monitoring needs, read from `plan.json` and the `.dag` file. */
export interface RunLayout {
  name: string;
  dir: string;
  dagFile: string;
  nodes: RunNodeInfo[];
  vmCount: number;
}

/** One submission of a run's DAG: the first by `submit`, each next one by `restart` (from a rescue file). */
export interface RunAttempt {
  dagmanJobId: number;
  /** ISO-8601 UTC, vmdag's clock. */
  submittedAt: string;
  /** The rescue file DAGMan ran (none for the first attempt). */
  rescue?: string;
  /** Steps that had succeeded before this attempt and did not run again. */
  skipped?: string[];
  /** Steps that changed since the attempt before (what the restart took), with what changed. */
  changed?: { node: string; changes: string[] }[];
  /** How it ended, as HTCondor recorded it (the DAGMan job's ad), noted when the next attempt was made. */
  ended?: { state: RunState; at: string | null };
}

export interface RunRecord {
  /** The newest attempt's DAGMan job (the one status, report and rm follow). */
  dagmanJobId: number;
  /** Every attempt, oldest first, once the run was restarted (absent: the one attempt above). */
  attempts?: RunAttempt[];
  site: string;
  /** ISO-8601 UTC, from vmdag's clock: informational only (reports use HTCondor's records). */
  submittedAt: string;
  pool?: string;
  schedd?: string;
  /** `spool`: the run travelled to the schedd with the DAGMan job (the site's `transfer: spool`). */
  transfer?: 'spool';
  /** The organisation's token folder the run was submitted with (the catalog's `tokens`). */
  tokens?: string;
  /** What was sent besides the run directory (files, bytes) and how long the spooling submit took. */
  sent?: { files: number; bytes: number; seconds: number };
  /** ISO-8601 UTC: when the DAG's files were brought back from the schedd's spool (condor_transfer_data). */
  fetchedAt?: string;
  /** Sites that refused the run at submit time before `site` took it, in order, with their words. */
  refusedBy?: { site: string; error: string }[];
}

export type RunState = 'submitted' | 'booting' | 'running' | 'stopping' | 'succeeded' | 'failed' | 'removed';
export type JobState = 'unsubmitted' | 'idle' | 'running' | 'held' | 'done' | 'failed' | 'removed';

export interface NodeStatus {
  name: string;
  kind: NodeKind;
  state: JobState;
  jobId: string | null;
  /** Plain-words cause when the node failed or is held. */
  cause?: string;
}

export interface VmStatus {
  index: number;
  jobId: string | null;
  state: JobState;
  host: string | null;
}

export interface RunStatus {
  dagmanJobId: number;
  /** The site the run went to (run.json), and the sites that refused it at submit time before, if any. */
  site?: string;
  refusedBy?: { site: string; error: string }[];
  state: RunState;
  nodes: NodeStatus[];
  vms: VmStatus[];
  /** Why the run failed or was removed, when known. */
  cause?: string;
  /** Startd ads of this run's guests still in the collector after every VM of the run has ended: a guest
   * that did not leave the pool with its VM (its claim may still be held by the schedd). */
  leftoverGuests?: { name: string; state: string }[];
  /** Every attempt of the run (run.json), oldest first, when it was restarted. */
  attempts?: RunAttempt[];
  progress: { nodesDone: number; nodesTotal: number; vmsRunning: number; vmsTotal: number };
}

/** Where a run's jobs ran, for status and report to match the ads by. */
export interface RunPlace {
  /** The jobs' Iwd at the schedd (its spool folder), or undefined for a run that did not travel. */
  iwd?: string;
  /** A run that travelled whose files are still at the site (not fetched). */
  atSite: boolean;
}
