// The activities a pg-dts worker registers. Each is a thin adapter from Temporal to the engine in src/.
export { precheck } from './precheck';
export { createSchema, finishSchema } from './schema';
export { fullSync } from './full';
export { incrementalSync } from './incremental';
export { watchPausedSlot } from './paused-watch';
export { releaseTask } from './release';
export { catchUpAddedTables, finishAddition, mainStreamPosition, planModification, setPublication } from './modify';
export { closeRecopyRequest } from './recopy';
export { sendAlert } from './alerts';
export { searchAttributesRegistered, tagsAttributeRegistered } from './search-attributes';
export { planVerification, verifyRanges } from './verify';
export { repairRanges } from './repair';
export { verifySchema } from './verify-schema';
export { awaitVerification } from './verify-wait';
export { followSequences, syncSequences } from './sequences';
export { countRows, freezeSource, unfreezeSource, waitForApplied } from './cutover';
