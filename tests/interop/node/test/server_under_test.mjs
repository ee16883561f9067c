// Starts the broker under test as a child process, the way nats-server's own tests do it:
// listen on a kernel-chosen loopback port and learn that port from the ports file.
//
// RINGNATS_SERVER names the binary (default: the Debian nats-server) and
// RINGNATS_SERVER_ARGS adds whitespace-separated arguments, e.g. "--workers 2".

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const kStartupDeadlineMs = 10000;
// Generous: a sanitizer build checks the whole heap for leaks at exit, on a loaded machine.
const kStopGraceMs = 15000;
// stderr kept for the checks at stop; the server logs little without -D/-V.
const kStderrLimit = 4 << 20;
const kReportExcerptLines = 30;
// The opening line of an ASan, LSan, UBSan or TSan report (as tests/harness/sanitizer_report.cc).
const kSanitizerReport =
  /(ERROR|WARNING|FATAL|SUMMARY): [A-Za-z]+Sanitizer\b|[A-Za-z]+Sanitizer:DEADLYSIGNAL|^\S+: runtime error: /;

// The first sanitizer report in `text` (its first lines), or null.
export function findSanitizerReport(text) {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => kSanitizerReport.test(line));
  return first < 0 ? null : lines.slice(first, first + kReportExcerptLines).join('\n');
}

function defaultServerBinary() {
  for (const candidate of ['/usr/bin/nats-server', '/usr/sbin/nats-server']) {
    if (existsSync(candidate)) {
      return candidate;
    }
  }
  return 'nats-server';  // Left to PATH lookup; spawn reports ENOENT if absent.
}

export function serverBinary() {
  return process.env.RINGNATS_SERVER || defaultServerBinary();
}

export function serverExtraArgs() {
  const raw = process.env.RINGNATS_SERVER_ARGS || '';
  return raw.split(/\s+/).filter((arg) => arg.length > 0);
}

// The ports file is named after the program (nats-server_<pid>.ports, ringnats_<pid>.ports),
// so match on the pid only. It may be caught half-written; a later watch event rereads it.
function readPortsUrl(dir, pid) {
  const name = readdirSync(dir).find((f) => f.endsWith(`_${pid}.ports`));
  if (name === undefined) {
    return null;
  }
  try {
    const ports = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    return Array.isArray(ports.nats) && ports.nats.length > 0 ? ports.nats[0] : null;
  } catch {
    return null;
  }
}

export class ServerUnderTest {
  #child;
  #dir;
  #stderr = '';
  #exitStatus = null;
  #exitCode = null;
  #exitSignal = null;
  #exited;
  url = '';
  port = 0;

  static async start() {
    const server = new ServerUnderTest();
    try {
      await server.#start();
    } catch (err) {
      await server.#halt();
      throw err;
    }
    return server;
  }

  async #start() {
    this.#dir = mkdtempSync(join(tmpdir(), 'ringnats-interop-'));
    const args = ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', this.#dir,
      ...serverExtraArgs()];
    const describe = () => `${serverBinary()} ${args.join(' ')}`;

    // Watch before spawning so the file's creation cannot slip by unseen.
    const watcher = watch(this.#dir);
    try {
      this.#child = spawn(serverBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
      this.#child.stderr.setEncoding('utf8');
      this.#child.stderr.on('data', (chunk) => {
        // Bounded; the tail is kept because leak reports come at exit.
        this.#stderr = (this.#stderr + chunk).slice(-kStderrLimit);
      });
      this.#exited = new Promise((resolve) => {
        this.#child.on('error', (err) => {
          this.#exitStatus = `spawn failed: ${err.message}`;
          resolve();
        });
        // 'close' rather than 'exit': by then stderr has been read to its end, where a leak
        // report comes.
        this.#child.on('close', (code, signal) => {
          this.#exitStatus ??= `exited with code ${code}, signal ${signal}`;
          this.#exitCode = code;
          this.#exitSignal = signal;
          resolve();
        });
      });

      this.url = await new Promise((resolve, reject) => {
        const check = () => {
          const url = this.#child.pid === undefined ? null : readPortsUrl(this.#dir, this.#child.pid);
          if (url !== null) {
            clearTimeout(timer);
            resolve(url);
          }
        };
        const timer = setTimeout(
          () => reject(new Error(`${describe()}: no ports file within ${kStartupDeadlineMs} ms\n` +
            this.#stderr.slice(-8192))),
          kStartupDeadlineMs);
        this.#exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`${describe()}: ${this.#exitStatus}\n${this.#stderr.slice(-8192)}`));
        });
        watcher.on('change', check);
        watcher.on('error', reject);
        this.#child.on('spawn', check);
        check();
      });
    } finally {
      watcher.close();
    }
    this.port = Number(new URL(this.url).port);
  }

  get stderr() {
    return this.#stderr;
  }

  // Stops the server with SIGINT and throws unless it exited with status 0 and printed no
  // sanitizer report, so the test's `after` hook fails on a broker that crashed, leaked or
  // raced.
  async stop() {
    const stillRunning = this.#child !== undefined && this.#exitStatus === null;
    const killed = await this.#halt();
    const problems = [];
    if (killed) {
      problems.push(`ignored SIGINT for ${kStopGraceMs} ms and was killed`);
    } else if (this.#child !== undefined && (this.#exitCode !== 0 || this.#exitSignal !== null)) {
      problems.push(`${this.#exitStatus}${stillRunning ? ' after SIGINT' : ' before it was stopped'}`);
    }
    const report = findSanitizerReport(this.#stderr);
    if (report !== null) {
      problems.push(`sanitizer report on stderr:\n${report}`);
    }
    if (problems.length > 0) {
      throw new Error(`${serverBinary()}: ${problems.join('\n')}`);
    }
  }

  // SIGINT, SIGKILL after the grace period; removes the temp dir. True if it had to kill.
  async #halt() {
    let killed = false;
    if (this.#child !== undefined && this.#exitStatus === null) {
      this.#child.kill('SIGINT');
      // A server that ignores SIGINT must not hang the suite.
      const force = setTimeout(() => {
        killed = true;
        this.#child.kill('SIGKILL');
      }, kStopGraceMs);
      await this.#exited;
      clearTimeout(force);
    }
    if (this.#dir !== undefined) {
      rmSync(this.#dir, { recursive: true, force: true });
      this.#dir = undefined;
    }
    return killed;
  }
}
