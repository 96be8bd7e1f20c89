/**
 * Why a read was skipped, as counted in the agent's own metrics
 * (`kubemeter_agent_collection_errors_total{kind}`).
 */
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';

/** Error kinds. */
export const ErrorKind = {
  /** The cgroup disappeared between listing and reading (container exited). */
  Vanished: 'vanished',
  /** A required file is missing although the cgroup exists. */
  Missing: 'missing',
  /** A file could not be opened or read (permissions, I/O). */
  Unreadable: 'unreadable',
  /** A file's content did not parse. */
  Parse: 'parse',
  /** A file was larger than the read cap. */
  TooLarge: 'too_large',
  /** No identity source answered (pods got placeholders). */
  Identity: 'identity',
  /** A node-level source (/proc, statfs) failed. */
  Node: 'node',
  /** Walking the cgroup tree failed. */
  Discovery: 'discovery',
  /** A housekeeping pass failed as a whole. */
  Pass: 'pass',
} as const;

/** One of the error kinds. */
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** Classify a failed cgroup read; `stillExists` tells a vanished cgroup from a missing file. */
export function classifyReadError(e: unknown, stillExists: () => boolean): ErrorKind {
  if (isKubemeterError(e, ErrorCode.NotFound)) return stillExists() ? ErrorKind.Missing : ErrorKind.Vanished;
  if (isKubemeterError(e, ErrorCode.TooLarge)) return ErrorKind.TooLarge;
  // Open/read failures carry the errno error as cause; parse failures have none.
  if (isKubemeterError(e, ErrorCode.InvalidFile)) return e.cause === undefined ? ErrorKind.Parse : ErrorKind.Unreadable;
  return ErrorKind.Unreadable;
}
