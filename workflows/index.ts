// Entry point the worker bundles: every workflow type pg-dts serves.
export { syncTask } from './sync-task';
export { verifyTask } from './verify-task';
