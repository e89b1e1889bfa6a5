import type { CliIO } from './command.js';

/**
 * The output convention of every unfold command, in one place:
 *
 * - with `--json`: stdout carries one JSON object per line. Progress objects
 *   (`"type":"progress"`, rate-limited) and records (any other `type`, e.g. `"eval"`,
 *   never dropped) may come first; the LAST line is the result (`"type":"result"`).
 *   Nothing else is written to stdout, so `| tail -n 1 | jq` works.
 * - without it: a progress bar on stderr when stderr is a terminal (redrawn in place,
 *   with rate and ETA), then a readable summary on stdout.
 *
 * Notes and warnings go to stderr in both modes.
 */

/** The `--json` flag; spread it into a command's flags: `flags: { ...jsonFlag, epochs: ... }`. */
export const jsonFlag = {
  json: { type: 'boolean', help: 'print one JSON object per line; the last line is the result' },
} as const;

/** One progress report. */
export interface ProgressUpdate {
  /** Units done so far (steps, batches, sizes...). */
  readonly done: number;
  /** Units in all, when known: enables the bar, the percentage and the ETA. */
  readonly total?: number;
  /** Name of a unit for the rate, e.g. `step` gives `12.3 step/s` (default `it`). */
  readonly unit?: string;
  /** What is happening, e.g. `epoch 2/10`. */
  readonly label?: string;
  /** Numbers to show beside the bar and to put in the JSON object, e.g. `{ loss: 1.23 }`. */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** Reports a command's progress and result in the mode the user chose. */
export interface Reporter {
  /** Rate-limited: calls closer together than the reporter's interval are dropped, except the one that completes `total`. */
  progress(update: ProgressUpdate): void;
  /**
   * A record that must never be dropped, such as one evaluation of a training run. JSON:
   * `{"type":type,"command":...,...fields}` at once, whatever the rate limit; for people,
   * nothing (say it with {@link Reporter.note} if it should be read). `type` must not be
   * `progress` or `result`; the keys `type` and `command` of `fields` are reserved.
   */
  record(type: string, fields: Readonly<Record<string, unknown>>): void;
  /** A note or warning for the user, on stderr (above the bar). */
  note(line: string): void;
  /**
   * The final result; call once, last. JSON: `{"type":"result","command":...,...result}`.
   * Human: the bar is removed and `summary` (or, without it, `key: value` lines of the
   * result) is printed. The keys `type` and `command` are reserved.
   */
  result(result: Readonly<Record<string, unknown>>, summary?: readonly string[]): void;
}

/** Options of {@link createReporter}. */
export interface ReporterOptions {
  /** The value of the command's `--json` flag. */
  readonly json: boolean;
  /** The command's name, recorded in every JSON object. */
  readonly command: string;
  /** Milliseconds, monotonic (default `performance.now`); injectable for tests. */
  readonly now?: () => number;
  /** Least time between two drawn updates (default 100 ms for the bar, 1000 ms for JSON). */
  readonly minIntervalMs?: number;
}

/**
 * A {@link Reporter} writing to `io`.
 *
 * @example
 * ```ts
 * const report = createReporter(io, { json: flags.json, command: 'train' });
 * for (let step = 1; step <= steps; step++) {
 *   const loss = trainStep();
 *   report.progress({ done: step, total: steps, unit: 'step', metrics: { loss } });
 * }
 * report.result({ loss, steps }, [`trained ${steps} steps, final loss ${loss.toFixed(4)}`]);
 * ```
 */
export function createReporter(io: CliIO, options: ReporterOptions): Reporter {
  const now = options.now ?? (() => performance.now());
  const minInterval = options.minIntervalMs ?? (options.json ? 1000 : 100);
  const start = now();
  let lastDrawn = Number.NEGATIVE_INFINITY;
  let finished = false;

  return {
    progress(update) {
      if (finished) return;
      const t = now();
      const completes = update.total !== undefined && update.done >= update.total;
      if (t - lastDrawn < minInterval && !completes) return;
      lastDrawn = t;
      const elapsed = (t - start) / 1000;
      const rate = elapsed > 0 ? update.done / elapsed : 0;
      const eta = update.total !== undefined && rate > 0 ? Math.max(0, update.total - update.done) / rate : undefined;
      if (options.json) {
        io.out(JSON.stringify({
          type: 'progress',
          command: options.command,
          ...(update.label === undefined ? {} : { label: update.label }),
          done: update.done,
          ...(update.total === undefined ? {} : { total: update.total }),
          elapsed: round(elapsed),
          rate: round(rate),
          ...(eta === undefined ? {} : { eta: round(eta) }),
          ...(update.metrics === undefined ? {} : { metrics: update.metrics }),
        }));
      } else if (io.terminal !== null) {
        io.terminal.status(progressLine(update, elapsed, rate, eta, io.terminal.columns));
      }
    },

    record(type, fields) {
      if (type === 'progress' || type === 'result') throw new Error(`${options.command}: '${type}' is not a record type (use progress() or result())`);
      reserved(fields, options.command);
      if (options.json && !finished) io.out(JSON.stringify({ type, command: options.command, ...fields }));
    },

    note(line) {
      io.err(line);
    },

    result(result, summary) {
      finished = true;
      reserved(result, options.command);
      if (options.json) {
        io.out(JSON.stringify({ type: 'result', command: options.command, ...result }));
        return;
      }
      io.terminal?.clearStatus();
      const lines = summary ?? Object.entries(result).map(([key, value]) => `${key}: ${formatValue(value)}`);
      for (const line of lines) io.out(line);
    },
  };
}

/**
 * The bar drawn on the terminal, fitted into `columns`, e.g.
 * `epoch 2 [█████░░░░░]  52%  520/1000  41.3 step/s  ETA 0:11  loss 1.234`.
 */
export function progressLine(update: ProgressUpdate, elapsedSeconds: number, rate: number, etaSeconds: number | undefined, columns: number): string {
  const unit = update.unit ?? 'it';
  const parts: string[] = [];
  if (update.total !== undefined && update.total > 0) {
    const fraction = Math.min(1, Math.max(0, update.done / update.total));
    parts.push(`${(fraction * 100).toFixed(0).padStart(3)}%`, `${update.done}/${update.total}`);
  } else {
    parts.push(`${update.done} ${unit}`);
  }
  parts.push(`${formatNumber(rate)} ${unit}/s`);
  parts.push(etaSeconds === undefined ? `${formatDuration(elapsedSeconds)} elapsed` : `ETA ${formatDuration(etaSeconds)}`);
  for (const [name, value] of Object.entries(update.metrics ?? {})) parts.push(`${name} ${formatNumber(value)}`);
  const tail = parts.join('  ');
  const label = update.label === undefined ? '' : `${update.label} `;

  // Leave the last column free: writing into it makes some terminals wrap.
  const room = columns - 1;
  if (update.total !== undefined && update.total > 0) {
    const barWidth = Math.min(30, room - label.length - tail.length - 4);
    if (barWidth >= 10) {
      const filled = Math.round((barWidth * Math.min(update.done, update.total)) / update.total);
      return `${label}[${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}]  ${tail}`;
    }
  }
  return `${label}${tail}`.slice(0, Math.max(0, room));
}

/** Seconds as `m:ss` or `h:mm:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(Math.max(0, seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A number for people: four significant digits, no exponent between 1e-4 and 1e6. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return value.toExponential(3);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

function reserved(fields: Readonly<Record<string, unknown>>, command: string): void {
  if ('type' in fields || 'command' in fields) throw new Error(`${command}: 'type' and 'command' are reserved keys of a JSON object`);
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Six significant digits keep JSON progress lines short without hiding anything useful. */
function round(x: number): number {
  return Number(x.toPrecision(6));
}
