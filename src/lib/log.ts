/**
 * Structured logging: JSON lines by default (for log collectors), a human-readable line format on a
 * TTY. Fields are plain data; errors are rendered by message.
 */
import { errorMessage } from './errors.ts';

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured fields attached to one log line. */
export type LogFields = Record<string, unknown>;

/** The logger every component takes. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  with(fields: LogFields): Logger;
}

/** Where and how a logger writes. */
export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** `json` (one object per line) or `text` (human-readable). Default: text on a TTY, else json. */
  format?: 'json' | 'text';
  /** Destination; default process.stderr. */
  write?: (line: string) => void;
  /** Clock for timestamps; default Date.now. */
  nowMs?: () => number;
}

function renderValue(v: unknown): unknown {
  if (v instanceof Error) return errorMessage(v);
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** Create a logger. */
export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const minRank = levelRank[options.level ?? 'info'];
  const format = options.format ?? (process.stderr.isTTY ? 'text' : 'json');
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const nowMs = options.nowMs ?? Date.now;

  const emit = (level: LogLevel, msg: string, fields: LogFields | undefined): void => {
    if (levelRank[level] < minRank) return;
    const all: LogFields = { ...base, ...fields };
    const time = new Date(nowMs()).toISOString();
    if (format === 'json') {
      const record: LogFields = { time, level, msg };
      for (const [k, v] of Object.entries(all)) record[k] = renderValue(v);
      write(JSON.stringify(record));
      return;
    }
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}`;
    for (const [k, v] of Object.entries(all)) {
      const rendered = renderValue(v);
      line += ` ${k}=${typeof rendered === 'string' ? rendered : JSON.stringify(rendered)}`;
    }
    write(line);
  };

  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    with: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything; for tests and library defaults. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  with: () => silentLogger,
};
