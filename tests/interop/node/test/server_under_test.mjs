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
const kStopGraceMs = 5000;

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
  #exited;
  url = '';
  port = 0;

  static async start() {
    const server = new ServerUnderTest();
    try {
      await server.#start();
    } catch (err) {
      await server.stop();
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
        // Keep only the tail: enough to explain a failure without growing without bound.
        this.#stderr = (this.#stderr + chunk).slice(-8192);
      });
      this.#exited = new Promise((resolve) => {
        this.#child.on('error', (err) => {
          this.#exitStatus = `spawn failed: ${err.message}`;
          resolve();
        });
        this.#child.on('exit', (code, signal) => {
          this.#exitStatus = `exited with code ${code}, signal ${signal}`;
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
            this.#stderr)),
          kStartupDeadlineMs);
        this.#exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`${describe()}: ${this.#exitStatus}\n${this.#stderr}`));
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

  async stop() {
    if (this.#child !== undefined && this.#exitStatus === null) {
      this.#child.kill('SIGTERM');
      // A server that ignores SIGTERM must not hang the suite.
      const force = setTimeout(() => this.#child.kill('SIGKILL'), kStopGraceMs);
      await this.#exited;
      clearTimeout(force);
    }
    if (this.#dir !== undefined) {
      rmSync(this.#dir, { recursive: true, force: true });
      this.#dir = undefined;
    }
  }
}
