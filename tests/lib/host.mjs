// The real help host (`instant-share-host`) as a child process, and its HTTP API as a client
// would use it.
import { spawn, execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, mkdir, access } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { hostBin, uiDir, outputDir } from './paths.mjs';
import { waitFor } from './wait.mjs';

/** The protocol version `hello` must carry (crates/protocol PROTOCOL_VERSION). */
export const PROTOCOL_VERSION = 1;

/** Every topic the host routes (docs/CONTRACT.md). */
export const ALL_TOPICS = ['email', 'network', 'printing', 'software', 'other'];

/**
 * One host process with its own database in a temporary directory.
 */
export class Host {
  /**
   * @param {object} [options]
   * @param {string} [options.name]  names the log file in tests/output
   * @param {number} [options.offerTimeoutSecs]
   * @param {number} [options.queueTimeoutSecs]
   * @param {number} [options.reofferPauseSecs]  how long a request an expert let pass waits
   *   before it rings for them again (the host's default, 10 s, unless given)
   * @param {string[]} [options.extraArgs]
   * @param {string} [options.listen]  the address to listen on (default: a free loopback port)
   */
  constructor({ name = 'host', offerTimeoutSecs = 20, queueTimeoutSecs = 600, reofferPauseSecs, extraArgs = [], listen = '127.0.0.1:0' } = {}) {
    this.name = name;
    this.listen = listen;
    this.offerTimeoutSecs = offerTimeoutSecs;
    this.queueTimeoutSecs = queueTimeoutSecs;
    this.reofferPauseSecs = reofferPauseSecs;
    this.extraArgs = extraArgs;
    /** @type {string | undefined} http://127.0.0.1:PORT once started */
    this.url = undefined;
    this.child = undefined;
    this.dir = undefined;
    this.output = [];
  }

  /** The database file the host and its CLI share. */
  get database() {
    return path.join(this.dir, 'instant-share.sqlite3');
  }

  /** Creates the temporary directory; `start` and the CLI helpers call it. */
  async prepare() {
    if (this.dir) return;
    await access(hostBin).catch(() => {
      throw new Error(`no host binary at ${hostBin}: build it (cargo build -p instant-share-host)`);
    });
    this.dir = await mkdtemp(path.join(os.tmpdir(), 'instant-share-e2e-'));
  }

  /** Starts `serve` (on a free loopback port unless told) and waits for its `listening on` line. */
  async start() {
    await this.prepare();
    await mkdir(outputDir, { recursive: true });
    const args = [
      'serve',
      '--listen', this.listen,
      '--database', this.database,
      '--ui-dir', uiDir,
      '--offer-timeout-secs', String(this.offerTimeoutSecs),
      '--queue-timeout-secs', String(this.queueTimeoutSecs),
      ...(this.reofferPauseSecs === undefined ? [] : ['--reoffer-pause-secs', String(this.reofferPauseSecs)]),
      ...this.extraArgs,
    ];
    const log = createWriteStream(path.join(outputDir, `${this.name}.log`));
    const child = spawn(hostBin, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
    });
    this.child = child;
    this.exited = once(child, 'exit');
    // A script that dies of an uncaught error must not leave its host running.
    const orphan = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
    process.on('exit', orphan);
    this.exited.then(() => process.off('exit', orphan));
    child.stderr.pipe(log, { end: false });
    const lines = readline.createInterface({ input: child.stdout });
    let listening;
    const ready = new Promise((resolve, reject) => {
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        this.output.push(line);
        const match = /instant-share-host listening on (http:\/\/\S+)/.exec(line);
        if (match && !listening) {
          listening = match[1];
          resolve(listening);
        }
      });
      child.on('exit', (code, signal) =>
        reject(new Error(`host exited before listening (code ${code}, signal ${signal}); see tests/output/${this.name}.log`)),
      );
      child.on('error', reject);
    });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('host did not print "listening on" within 30 s')), 30_000);
    });
    try {
      this.url = (await Promise.race([ready, timeout])).replace(/\/$/, '');
    } finally {
      clearTimeout(timer);
    }
    // The public URL defaults to the listen address; the site and socket URLs it hands out
    // must point back at this host.
    return this.url;
  }

  /** Stops the host with SIGTERM and waits for it to exit (SIGKILL after 10 s). */
  async stop() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(killer);
    }
    if (this.dir && !process.env.KEEP_E2E_DATA) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /**
   * Runs a CLI subcommand against this host's database and returns its stdout.
   * @param {string[]} args
   * @param {string} [stdin]
   */
  async cli(args, stdin) {
    await this.prepare();
    return new Promise((resolve, reject) => {
      const child = execFile(
        hostBin,
        args,
        { env: { ...process.env, INSTANT_SHARE_DATABASE: this.database }, timeout: 30_000 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`instant-share-host ${args.join(' ')} failed: ${error.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
      // A subcommand that reads no input may exit before the pipe is written: its exit status
      // (above) is what counts, so a broken pipe here is not an error of its own.
      child.stdin.on('error', (error) => {
        if (error.code !== 'EPIPE') reject(error);
      });
      if (stdin === undefined) child.stdin.destroy();
      else child.stdin.end(stdin);
    });
  }

  /** Adds an expert through `expert-add --password-stdin`. */
  async addExpert({ username, displayName, skills = ALL_TOPICS, password }) {
    await this.cli(
      ['expert-add', '--username', username, '--display-name', displayName, '--skills', skills.join(','), '--password-stdin'],
      password,
    );
    return { username, password, displayName };
  }

  /** Makes a one-time enrolment code through `enrolment-code` and returns the code. */
  async enrolmentCode(employee) {
    const out = await this.cli(['enrolment-code', '--employee', employee]);
    const match = /\b[A-Z0-9]{4}(?:-[A-Z0-9]{4}){2}\b/.exec(out);
    if (match) return match[0];
    const last = out.trim().split('\n').pop()?.trim();
    if (!last) throw new Error(`enrolment-code printed no code: ${JSON.stringify(out)}`);
    return last.split(/\s+/).pop();
  }

  /**
   * Makes a one-time enrolment code through `enrolment-code --public-url` and returns the
   * enrolment link it prints (`instant-share://enrol?host=…&code=…`) and the code.
   */
  async enrolmentLink(employee) {
    const out = await this.cli(['enrolment-code', '--employee', employee, '--public-url', this.url]);
    const [code, link] = out.trim().split('\n').map((line) => line.trim());
    if (!link?.startsWith('instant-share://enrol?')) throw new Error(`enrolment-code printed no link: ${JSON.stringify(out)}`);
    return { code, link };
  }

  /**
   * A JSON request to the host's API. Returns `{status, body, headers}`; never throws on an
   * HTTP error status.
   */
  async api(method, urlPath, { body, token, headers = {} } = {}) {
    const response = await fetch(`${this.url}${urlPath}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /** Enrols a device with a fresh code and returns its credential (`EnrolResponse`). */
  async enrolDevice(employee, deviceName = `${employee}'s test device`) {
    const code = await this.enrolmentCode(employee);
    const { status, body } = await this.api('POST', '/api/v1/enrol', { body: { code, device_name: deviceName } });
    if (status !== 200 && status !== 201) throw new Error(`enrol answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** The operator's report (`report --json`) of this host's database, parsed. */
  async report() {
    return JSON.parse(await this.cli(['report', '--json']));
  }

  /** Asks for a share with a device credential; returns the `SharePointer`. */
  async requestShare(credential, { topic = 'other', note } = {}) {
    const { status, body } = await this.api('POST', '/api/v1/shares', {
      token: credential,
      body: { topic, ...(note ? { note } : {}), app_version: 'e2e', os_version: `node ${process.version}` },
    });
    if (status !== 201) throw new Error(`POST /api/v1/shares answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }
}

/**
 * A participant's session socket: sends `hello` with the token, collects every frame, and
 * lets a test wait for the one it expects.
 */
export class SessionSocket {
  /** @param {string} wsUrl  @param {string} token */
  static async open(wsUrl, token) {
    if (typeof WebSocket !== 'function') {
      throw new Error('no global WebSocket: run node with --experimental-websocket (Node 20) or use Node 22+');
    }
    const socket = new SessionSocket(new WebSocket(wsUrl));
    await waitFor('the session socket to open', () => socket.ws.readyState === WebSocket.OPEN || socket.failed(), {
      timeout: 10_000,
      interval: 20,
    });
    socket.send({ type: 'hello', token, protocol: PROTOCOL_VERSION });
    return socket;
  }

  constructor(ws) {
    this.ws = ws;
    /** @type {Array<{seq: number | null, msg: any}>} every frame received, in order */
    this.frames = [];
    this.closed = false;
    this.error = undefined;
    ws.addEventListener('message', (event) => this.frames.push(JSON.parse(String(event.data))));
    ws.addEventListener('close', () => {
      this.closed = true;
    });
    ws.addEventListener('error', (event) => {
      this.error = event.message ?? 'WebSocket error';
    });
  }

  failed() {
    if (this.error || this.closed) throw new Error(`socket failed: ${this.error ?? 'closed'}`);
    return false;
  }

  send(message) {
    this.ws.send(JSON.stringify(message));
  }

  /** Sends a chat message. */
  chat(text) {
    this.send({ type: 'chat', text, client_msg_id: `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  }

  /**
   * Waits for a message of `type` that satisfies `predicate`, received at any time so far.
   * @returns {Promise<any>} the message (`frame.msg`)
   */
  async next(type, predicate = () => true, timeout = 10_000) {
    return waitFor(
      () => `a "${type}" message on the session socket (so far: ${this.describe()})`,
      () => this.frames.find((frame) => frame.msg?.type === type && predicate(frame.msg))?.msg,
      { timeout, interval: 20 },
    );
  }

  describe() {
    return this.frames.map((frame) => frame.msg?.type).join(', ') || 'nothing';
  }

  close() {
    if (!this.closed) this.ws.close();
  }
}
