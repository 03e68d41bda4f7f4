/** The lab: a real personal HTCondor pool on this machine, in a chroot inside a network namespace. */
export { startLabDaemon } from './daemons.js';
export { labDown } from './down.js';
export { type HtcondorVariant, type LabOptions, type LabSettings, resolveLabSettings } from './options.js';
export { type LabState, labIsRunning, readLabState, stateFilePath } from './state.js';
export { type LabStatus, labCondorContext, labStatus, leftoverGuests } from './status.js';
export { LabError, type Log } from './sys.js';
export { labUp, requireRoot } from './up.js';
