/**
 * Elastic tabstops with the exact layout of the Go tab writer kubectl prints through
 * (cli-runtime `GetNewTabWriter`: github.com/liggitt/tabwriter, minwidth 6, tabwidth 4, padding 3,
 * pad character ' ', flag RememberWidths).
 *
 * Written by hand because byte-identity with kubectl is the contract: no npm table formatter
 * reproduces Go's column-block rule (a column's width is computed per run of consecutive lines that
 * have that column), its "the text after the last tab is not a cell" rule, its flush after a line
 * with a single cell, or liggitt's remembered widths.
 */

/** Layout parameters of a tab writer. */
export interface TabWriterOptions {
  /** Minimal cell width including padding. */
  minWidth: number;
  /** Padding added to the widest cell of a column. */
  padding: number;
  /** The padding character (kubectl: a space). Tab padding is not supported. */
  padChar?: string;
  /** liggitt/tabwriter's RememberWidths: a column never gets narrower than it was earlier. */
  rememberWidths?: boolean;
}

/** The layout kubectl uses for `top` and `get`. */
export const kubectlTabLayout: TabWriterOptions = { minWidth: 6, padding: 3, padChar: ' ', rememberWidths: true };

/** Width of a cell as Go's tabwriter counts it: Unicode code points of the text. */
export function cellWidth(text: string): number {
  let width = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        width--;
        i++;
      }
    }
  }
  return width;
}

/**
 * A tab writer: `write` text in which '\t' (and '\v') end a cell and '\n' (and '\f') end a line,
 * then `flush` to get the laid-out text. Like Go's, it flushes on its own after a line that has a
 * single cell and after '\f'.
 */
export class TabWriter {
  readonly #options: Required<TabWriterOptions>;
  readonly #out: string[] = [];
  /** Remembered maximum width per column (RememberWidths). */
  readonly #maxWidths: number[] = [];
  /** Completed lines of the current section; each holds its cells, the last one unterminated. */
  #lines: string[][] = [[]];
  #cell = '';

  constructor(options: TabWriterOptions = kubectlTabLayout) {
    this.#options = { padChar: ' ', rememberWidths: false, ...options };
  }

  /** Adds text. */
  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      // \t 9, \v 11, \n 10, \f 12
      if (ch < 9 || ch > 12) continue;
      const cells = this.#lines[this.#lines.length - 1]!;
      cells.push(this.#cell + text.slice(start, i));
      this.#cell = '';
      start = i + 1;
      if (ch === 10 || ch === 12) {
        this.#lines.push([]);
        // Go flushes here: a single-cell line cannot affect the lines after it.
        if (ch === 12 || cells.length === 1) this.#format();
      }
    }
    this.#cell += text.slice(start);
  }

  /** Lays out everything written so far and returns all output produced since the last flush. */
  flush(): string {
    if (this.#cell.length > 0) {
      this.#lines[this.#lines.length - 1]!.push(this.#cell);
      this.#cell = '';
    }
    this.#format();
    const text = this.#out.join('');
    this.#out.length = 0;
    return text;
  }

  #format(): void {
    const lines = this.#lines;
    const cellWidths = lines.map((line) => line.map(cellWidth));
    const widths: number[] = [];
    const { minWidth, padding, padChar, rememberWidths } = this.#options;
    const maxWidths = this.#maxWidths;
    const out = this.#out;

    // Mirrors Go's recursive format(): for the current column, find each maximal run of
    // consecutive lines that have a terminated cell in it, size the column over that run, then
    // recurse for the columns to its right within the run.
    const formatBlock = (line0: number, line1: number): void => {
      const column = widths.length;
      let start = line0;
      let i = line0;
      while (i < line1) {
        if (column >= lines[i]!.length - 1) {
          i++;
          continue;
        }
        writeLines(start, i);
        start = i;
        let width = minWidth;
        for (; i < line1; i++) {
          const line = cellWidths[i]!;
          if (column >= line.length - 1) break;
          const w = line[column]! + padding;
          if (w > width) width = w;
        }
        if (rememberWidths) {
          if (maxWidths.length < widths.length) maxWidths.push(...widths.slice(maxWidths.length));
          if (maxWidths.length === widths.length) maxWidths.push(width);
          else if (maxWidths[column]! > width) width = maxWidths[column]!;
          else maxWidths[column] = width;
        }
        widths.push(width);
        formatBlock(start, i);
        widths.pop();
        start = i;
      }
      writeLines(start, line1);
    };

    const writeLines = (line0: number, line1: number): void => {
      for (let i = line0; i < line1; i++) {
        const line = lines[i]!;
        const lw = cellWidths[i]!;
        for (let j = 0; j < line.length; j++) {
          out.push(line[j]!);
          if (j < widths.length) out.push(padChar.repeat(Math.max(0, widths[j]! - lw[j]!)));
        }
        // The last line of a section is the one still being written: no newline yet.
        if (i + 1 < lines.length) out.push('\n');
      }
    };

    formatBlock(0, lines.length);
    this.#lines = [[]];
  }
}

/** Lays out tab-separated text the way kubectl's tab writer does when it is flushed once. */
export function layoutText(text: string, options: TabWriterOptions = kubectlTabLayout): string {
  const w = new TabWriter(options);
  w.write(text);
  return w.flush();
}

/** Width of a cell, or -1 when it contains a character the tab writer treats as a separator (\t \n \v \f). */
function plainCellWidth(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 9 && c <= 12) return -1;
    if (c >= 0xd800) return /[\t-\f]/.test(text) ? -1 : cellWidth(text);
  }
  return text.length;
}

/**
 * Lays out rows printed kubectl-style, every cell followed by a tab and every row by a newline,
 * with kubectl's tab writer. Rows of equal length take a fast path (one column block per column:
 * width = max(minWidth, widest cell + padding), every line ends with padding); anything else goes
 * through the general writer.
 */
export function layoutRows(
  rows: readonly (readonly string[])[],
  options: TabWriterOptions = kubectlTabLayout,
  /** Rewrites a cell's text after widths are known (colour); only applied on the fast path. */
  decorate?: (text: string, row: number, column: number) => string,
): string {
  const columns = rows.length === 0 ? 0 : rows[0]!.length;
  const general = (): string => layoutText(rows.map((r) => r.map((c) => `${c}\t`).join('') + '\n').join(''), options);
  const uniform = columns > 0 && rows.every((r) => r.length === columns) && (options.padChar ?? ' ') === ' ';
  if (!uniform) return general();
  const widths = new Array<number>(columns).fill(options.minWidth);
  const rowWidths: number[][] = [];
  for (const row of rows) {
    const w = new Array<number>(columns);
    for (let j = 0; j < columns; j++) {
      const cw = plainCellWidth(row[j]!);
      if (cw < 0) return general();
      w[j] = cw;
      if (cw + options.padding > widths[j]!) widths[j] = cw + options.padding;
    }
    rowWidths.push(w);
  }
  // One join at the end: for 10,000 rows much faster than growing a string cell by cell.
  const parts: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const w = rowWidths[i]!;
    for (let j = 0; j < columns; j++) parts.push(decorate === undefined ? row[j]! : decorate(row[j]!, i, j), spaces(widths[j]! - w[j]!));
    parts.push('\n');
  }
  return parts.join('');
}

const spaceCache: string[] = [];
function spaces(n: number): string {
  if (n <= 0) return '';
  return (spaceCache[n] ??= ' '.repeat(n));
}
