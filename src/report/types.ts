/** The latency report of a run (design.md §3): HTCondor's timestamps, the phases between them, one lane per job. */

/** The timestamps of design.md §3, in the order a run passes them. */
export const TIMESTAMP_NAMES = [
  'submitted',
  'vmsQueued',
  'vmsRunning',
  'vmsReady',
  'computeStarted',
  'computeEnded',
  'vmsStopped',
  'finished',
] as const;
export type TimestampName = (typeof TIMESTAMP_NAMES)[number];

/** The phases: the four of design.md §3, `wrapUp` (last stop → DAGMan's end) so they add up, and `total`. */
export const PHASE_NAMES = ['scheduling', 'vmBoot', 'compute', 'teardown', 'wrapUp', 'total'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** A stretch of time between two timestamps; `total` is not drawn as an interval of its own. */
export interface PhaseInterval {
  phase: Exclude<PhaseName, 'total'>;
  from: TimestampName;
  to: TimestampName;
}

export type SegmentState = 'queued' | 'running' | 'held';
export type Outcome = 'done' | 'failed' | 'removed';

/** One state of one job between two of its events (milliseconds since the epoch; end null while it lasts). */
export interface Segment {
  state: SegmentState;
  start: number;
  end: number | null;
}

/** `reap`: the SERVICE node REAP of tuned runs, which removes the VMs when the last steps end and stranded steps. */
export type LaneKind = 'vm' | 'gate' | 'reap' | 'compute' | 'stop';

/** One VM (a proc of the SERVICE node's cluster) or one DAG node (every attempt of it, in order). */
export interface Lane {
  kind: LaneKind;
  name: string;
  /** The job of the latest attempt. */
  jobId: string | null;
  host: string | null;
  attempts: number;
  segments: Segment[];
  end: { time: number; outcome: Outcome } | null;
}

/** Whose clock a boot mark is: the submit host's event log, the guest's, or the gate's (the submit host's). */
export type BootMarkClock = 'event log' | 'guest' | 'gate';

/** A moment of one VM's boot (src/report/vm-boot.ts): queued, executing, kernel, the guest's phases, startd, joined, step. */
export interface BootMark {
  name: string;
  /** Milliseconds since the epoch. */
  time: number;
  clock: BootMarkClock;
}

/**
 * How a VM ran, as the vmdag guest image advertises it (VmdagAccel): under KVM (its kernel offers kvm-clock),
 * or in software emulation (QEMU's TCG on the site kit; docs/guest-image.md).
 */
export type Accel = 'kvm' | 'emulation';

/** One VM's boot: its marks, the parts between them (seconds, never negative) and their sum executing → joined. */
export interface VmBoot {
  /** The VM's lane ("VM 0"). */
  lane: string;
  /** The guest paired with it (its Machine). */
  guest: string;
  marks: BootMark[];
  parts: { from: string; to: string; seconds: number }[];
  boot: number | null;
  /** The collector's clock minus the guest's (whole seconds), from the guest's latest ad. */
  clockOffset: number | null;
  /** How the VM ran (its guest's VmdagAccel); null when the guest's image does not say. */
  accel: Accel | null;
}

export interface VmBoots {
  vms: VmBoot[];
  /** How guests were paired with VM jobs. */
  pairing: 'one VM' | 'in order of start';
  /** Why the gate's record could not be read, when it could not. */
  problem?: string;
}

export interface LatencyReport {
  dagmanJobId: number;
  name: string;
  mode: 'vm' | 'native';
  /** finished once DAGMan's own end is recorded. */
  state: 'running' | 'finished';
  /** How DAGMan ended: done (exit 0), failed, removed (condor_rm); null while it runs. */
  outcome: Outcome | null;
  /** Milliseconds since the epoch, null when not (yet) recorded. */
  timestamps: Record<TimestampName, number | null>;
  /** Which record each timestamp was read from. */
  sources: Record<TimestampName, string | null>;
  /** Seconds; null when none of the phase's intervals is complete. */
  phases: Record<PhaseName, number | null>;
  intervals: PhaseInterval[];
  /** While the run runs: the phase under way, counted up to `asOf`. */
  current: Exclude<PhaseName, 'total'> | null;
  /** The latest time HTCondor recorded anything of this run: `total` runs up to it while the run runs. */
  asOf: number | null;
  /** The submit host's UTC offset the event logs were read with, and how it was found. */
  zone: { offsetMinutes: number; from: string };
  lanes: Lane[];
  /** A restarted run's attempt: the steps that had succeeded in an earlier attempt and did not run in this one. */
  doneBefore?: string[];
  /** Each VM's boot taken apart, when the gate left its record of the guests (runs since issue 17). */
  boot?: VmBoots;
}
