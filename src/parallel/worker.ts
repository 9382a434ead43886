/**
 * Entry of a worker thread of the pool (pool.ts): runs TASKS on messages and posts back
 * their results, moving result buffers rather than copying them. Errors go back as data
 * (code and message), so a McError reaches the caller as the same McError.
 */
import { parentPort } from 'node:worker_threads';
import { isMcError } from '../errors.js';
import { TASKS, type TaskName } from './tasks.js';

/** A request from the pool. */
interface Request {
  id: number;
  kind: TaskName;
  payload: never;
}

parentPort?.on('message', (m: Request) => {
  try {
    const done = TASKS[m.kind](m.payload);
    parentPort?.postMessage({ id: m.id, ok: true, value: done.value }, done.transfer);
  } catch (e) {
    const err = e as Error;
    parentPort?.postMessage({ id: m.id, ok: false, error: { mc: isMcError(e), code: isMcError(e) ? e.code : null, message: String(err?.message ?? e), stack: err?.stack } });
  }
});
