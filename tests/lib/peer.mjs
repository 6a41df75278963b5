// The headless native participant (`instant-share-peer`) as the tests drive it: a child
// process that prints one JSON event per line and records what it sent and received.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { peerBin } from './paths.mjs';

export class Peer {
  /**
   * Starts a peer. `role` is `requester` or `expert`; `args` are its other flags (ICE uses
   * loopback, `--udp 127.0.0.1:0`, unless they name `--udp`).
   * @param {'requester' | 'expert'} role
   * @param {string[]} args
   * `run` starts the process instead of `spawn` (e.g. in another desktop session, as another
   * user: the record folder is then writable by everyone).
   * @param {{ stdin?: string, run?: (command: string, args: string[], options: object) => import('node:child_process').ChildProcess }} [options]
   */
  static async start(role, args, { stdin, run } = {}) {
    const dir = await mkdtemp(path.join(os.tmpdir(), `instant-share-peer-${role}-`));
    if (run) await chmod(dir, 0o777);
    const peer = new Peer(role, dir);
    const udp = args.includes('--udp') ? [] : ['--udp', '127.0.0.1:0'];
    const child = (run ?? spawn)(peerBin, [role, ...udp, '--record', dir, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // RUST_LOG if set, else the peer's own default (warnings, and the engine's info).
      env: process.env,
    });
    peer.child = child;
    child.stdin.end(stdin ?? '');
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const event = JSON.parse(line);
        peer.events.push(event);
        for (const w of peer.waiters.splice(0)) w();
      } catch {
        peer.log.push(line);
      }
    });
    readline.createInterface({ input: child.stderr }).on('line', (line) => peer.log.push(line));
    peer.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    return peer;
  }

  constructor(role, dir) {
    this.role = role;
    this.dir = dir;
    /** @type {any[]} */
    this.events = [];
    this.log = [];
    this.waiters = [];
  }

  /** Waits for an event named `name` that satisfies `predicate`. */
  async event(name, predicate = () => true, timeout = 20_000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.events.find((e) => e.event === name && predicate(e));
      if (found) return found;
      const error = this.events.find((e) => e.event === 'error');
      if (error) throw new Error(`the ${this.role} peer failed: ${error.message}`);
      if (Date.now() > deadline) {
        throw new Error(`no '${name}' from the ${this.role} peer in ${timeout} ms; events: ${JSON.stringify(this.events.slice(-5))}; log: ${this.log.slice(-10).join('\n')}`);
      }
      await new Promise((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** The stamps of a recorded CSV file (`received-<participant>-camera.csv`, `sent-camera.csv`). */
  async stamps(file) {
    const text = await readFile(path.join(this.dir, file), 'utf8').catch(() => '');
    return text
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((line) => {
        const [stamp, micros] = line.split(',').map(Number);
        return { stamp, at: micros / 1000 };
      });
  }

  /** Waits for the process to end (after `--duration-secs`); returns its exit code. */
  async finished(timeout = 30_000) {
    return Promise.race([
      this.exited,
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error(`the ${this.role} peer did not finish in ${timeout} ms; events: ${JSON.stringify(this.events.filter((e) => e.event !== 'stats').slice(-6))}; log: ${this.log.slice(-8).join('\n')}`)),
          timeout,
        ),
      ),
    ]);
  }

  stop() {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}
