/**
 * Runs `kubemeter up` (or `npm start`) as a real child process in its own process group, collects
 * its JSON log records, waits for a given record, and stops it the way Ctrl-C does (SIGINT to the
 * whole group), with SIGKILL as the fallback so a failing test never leaves it running.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** One JSON log line of the process (stdout or stderr). */
export type LogRecord = Record<string, unknown>;

/** A running child. */
export interface UpProcess {
  child: ChildProcess;
  records: LogRecord[];
  /** Everything written, for failure messages. */
  output(): string;
  /** Resolves with the first record matching `pred` (rejects after `timeoutMs` or when the process exits). */
  waitFor(pred: (r: LogRecord) => boolean, timeoutMs: number): Promise<LogRecord>;
  /** SIGINT to the process group; resolves with the exit code, or the signal's name (SIGKILL after `graceMs`). */
  interrupt(graceMs?: number): Promise<number | NodeJS.Signals | null>;
  /** Is any process of the group still alive? */
  groupAlive(): boolean;
  /** SIGKILL to the group if still running. */
  kill(): Promise<void>;
}

/** Start `command args` with `env` in `cwd`. */
export function spawnLogged(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): UpProcess {
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const records: LogRecord[] = [];
  let text = '';
  const waiters: (() => void)[] = [];
  const feed = (stream: NodeJS.ReadableStream): void => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      text += d;
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('{')) {
          try {
            records.push(JSON.parse(line) as LogRecord);
          } catch {
            // not a log record
          }
        }
      }
      for (const w of [...waiters]) w();
    });
  };
  feed(child.stdout!);
  feed(child.stderr!);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  return {
    child,
    records,
    output: () => text,
    waitFor: (pred, timeoutMs) => new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = records.find(pred);
        if (hit === undefined) return false;
        done();
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms; output:\n${text.slice(-4000)}`));
      }, timeoutMs);
      const onExit = (): void => {
        if (check()) return;
        done();
        reject(new Error(`process exited (${child.exitCode ?? child.signalCode}); output:\n${text.slice(-4000)}`));
      };
      function done(): void {
        clearTimeout(timer);
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        child.off('exit', onExit);
      }
      const waiter = (): void => void check();
      waiters.push(waiter);
      child.once('exit', onExit);
      check();
    }),
    interrupt: async (graceMs = 15_000) => {
      if (!running()) return child.exitCode ?? child.signalCode;
      signalGroup('SIGINT');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    groupAlive: () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    },
    kill: async () => {
      if (!running()) return;
      signalGroup('SIGKILL');
      await exited;
    },
  };
}

/** Run a command to completion (asynchronously: servers in this process keep serving). */
export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? -1 });
    });
  });
}
