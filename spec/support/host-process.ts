import { runInThisContext } from 'node:vm';

/**
 * The real process. Jest gives each test file a copy of `process` with its own event listeners, so
 * `process.on('unhandledRejection')` in a test file never hears anything: the events fire on the real
 * one (where jest has its own listener, which fails the running test; ours can count them).
 */
export const hostProcess = runInThisContext('process') as NodeJS.Process;
