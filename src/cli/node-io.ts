import type { CliIO, Terminal } from './command.js';

/**
 * The {@link CliIO} of a real process: stdout and stderr, and a status line on stderr
 * when it is a terminal (TTY). Lines written with `err` while a status line is shown
 * appear above it, and the status is redrawn below.
 */
export function nodeIO(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): CliIO {
  let status = '';
  const terminal: Terminal | null = stderr.isTTY
    ? {
        get columns() {
          return stderr.columns > 0 ? stderr.columns : 80;
        },
        status(text) {
          status = text;
          // \r returns to column 0, ESC[K clears the rest of the line: a redraw in place.
          stderr.write(`\r${text}\x1b[K`);
        },
        clearStatus() {
          if (status === '') return;
          status = '';
          stderr.write('\r\x1b[K');
        },
      }
    : null;

  return {
    out(line) {
      // stdout and stderr share the screen: move the bar out of the way first.
      if (status !== '' && stdout.isTTY) stderr.write('\r\x1b[K');
      stdout.write(`${line}\n`);
      if (status !== '' && stdout.isTTY) stderr.write(`\r${status}\x1b[K`);
    },
    stream(text) {
      stdout.write(text);
    },
    err(line) {
      stderr.write(status === '' ? `${line}\n` : `\r\x1b[K${line}\n${status}\x1b[K`);
    },
    terminal,
    env,
  };
}
