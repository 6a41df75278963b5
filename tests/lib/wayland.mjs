// A headless Wayland desktop for a test (scripts/wayland-session.sh): sway, PipeWire and the
// screen-sharing portal as an unprivileged user, held open while the test runs programs in it,
// and a Chromium window on it that shows the stamped test pattern (ui/src/lib/stamp.ts).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { outputDir, repoRoot } from './paths.mjs';
import { waitFor } from './wait.mjs';

/**
 * The frame stamp module (ui/src/lib/stamp.ts: `drawStamp`, `readStamp`), compiled with the
 * esbuild the UI's build installs: its source, and the module loaded here.
 */
export async function stampModule() {
  const require = createRequire(path.join(repoRoot, 'ui', 'package.json'));
  const esbuild = require('esbuild');
  const source = await readFile(path.join(repoRoot, 'ui', 'src', 'lib', 'stamp.ts'), 'utf8');
  const { code } = esbuild.transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' });
  const module = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  return { code, module };
}

/** The widest picture a screen share sends (src-tauri/src/media/sources.rs `SCREEN`). */
const SHARED_WIDTH = 1280;

/**
 * Writes `dir`/pattern.html (readable by everyone): a page that fills its window with mid-grey
 * and paints the stamp of a frame counter that goes up at every repaint, top left
 * (ui/src/lib/stamp.ts). On a window wider than a share sends, the stamp is drawn larger by the
 * ratio, so that it has its own size again once the share scaled the screen down (the native
 * reader takes 16-pixel blocks only). Returns its path.
 */
export async function writePatternPage(dir) {
  const { code } = await stampModule();
  const page = path.join(dir, 'pattern.html');
  await writeFile(
    page,
    `<!doctype html><html><head><title>Stamped pattern</title></head>
<body style="margin:0;background:#808080;overflow:hidden"><canvas id="c"></canvas>
<script type="module">${code}
const canvas = document.getElementById('c');
const ctx = canvas.getContext('2d');
let scale = 1;
// The window may get its final size (full screen) after the page loaded.
function fit() {
  canvas.width = innerWidth; canvas.height = innerHeight;
  ctx.resetTransform();
  ctx.fillStyle = '#808080'; ctx.fillRect(0, 0, canvas.width, canvas.height);
  scale = Math.max(1, canvas.width / ${SHARED_WIDTH});
  ctx.scale(scale, scale);
}
fit();
addEventListener('resize', fit);
let frame = 0;
function paint() { frame = (frame + 1) & 0xffff; drawStamp(ctx, canvas.width / scale, frame); requestAnimationFrame(paint); }
paint();
</script></body></html>`,
  );
  await chmod(page, 0o644);
  return page;
}

export class WaylandDesktop {
  /**
   * Starts the desktop; its first output (the one screen sharing picks) is `size` ("1280x720").
   * Its logs (sway, PipeWire, the portals) go to tests/output/wayland-<name>/.
   */
  static async start(name, size = '1280x720') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'instant-share-wayland-test-'));
    await chmod(dir, 0o777);
    const logs = path.join(outputDir, `wayland-${name}`);
    await mkdir(logs, { recursive: true });
    await chmod(logs, 0o777);
    const envFile = path.join(dir, 'session.env');
    // The command in the session: write its environment and user, then wait for stdin to close.
    const child = spawn(
      path.join(repoRoot, 'scripts', 'wayland-session.sh'),
      ['sh', '-c', 'id -u >"$1.uid"; id -g >"$1.gid"; env >"$1.tmp" && mv "$1.tmp" "$1"; exec cat >/dev/null', 'sh', envFile],
      { stdio: ['pipe', 'inherit', 'inherit'], env: { ...process.env, WAYLAND_SESSION_SIZE: size, WAYLAND_SESSION_LOGS: logs } },
    );
    const desktop = new WaylandDesktop(dir, logs, child);
    const exited = once(child, 'exit');
    await waitFor(
      `the Wayland session to start (logs in ${logs})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`scripts/wayland-session.sh ended with ${child.exitCode} (logs in ${logs})`);
        return readFile(envFile, 'utf8').catch(() => null);
      },
      { timeout: 120_000, interval: 200 },
    );
    desktop.env = Object.fromEntries(
      (await readFile(envFile, 'utf8'))
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    desktop.uid = (await readFile(`${envFile}.uid`, 'utf8')).trim();
    desktop.gid = (await readFile(`${envFile}.gid`, 'utf8')).trim();
    desktop.exited = exited;
    return desktop;
  }

  constructor(dir, logs, child) {
    this.dir = dir;
    this.logs = logs;
    this.child = child;
    /** @type {Record<string, string>} */
    this.env = {};
    this.children = [];
  }

  /** Spawns `command` in the session, as its user, with its environment plus `options.env`. */
  run = (command, args = [], options = {}) => {
    const env = { ...this.env, ...(options.extraEnv ?? {}) };
    // The caller's logging wish, not its whole environment.
    if (options.env?.RUST_LOG) env.RUST_LOG = options.env.RUST_LOG;
    const pairs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const asUser = process.getuid?.() === 0 ? ['setpriv', `--reuid=${this.uid}`, `--regid=${this.gid}`, '--clear-groups'] : [];
    const [cmd, ...rest] = [...asUser, 'env', '-i', ...pairs, command, ...args];
    const child = spawn(cmd, rest, { stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'], cwd: this.dir });
    this.children.push(child);
    return child;
  };

  /** Runs `command` in the session to its end; resolves its standard output. */
  async output(command, args = []) {
    const child = this.run(command, args);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const [code] = await once(child, 'exit');
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}): ${err}`);
    return out;
  }

  /**
   * Opens a Chromium window on the shared output that fills it with mid-grey and paints the
   * stamp of a frame counter that goes up at every repaint, top left (ui/src/lib/stamp.ts).
   */
  async showPattern() {
    const page = await writePatternPage(this.dir);
    const chromium = this.run(
      process.env.INSTANT_SHARE_CHROMIUM ?? '/usr/bin/chromium',
      ['--ozone-platform=wayland', `--user-data-dir=${path.join(this.env.HOME, 'pattern-profile')}`, '--no-first-run', '--no-default-browser-check',
        '--kiosk', '--disable-gpu', '--password-store=basic', `file://${page}`],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    await waitFor('the pattern window on the Wayland desktop', async () => /"app_id": "chromium"/.test(await this.output('swaymsg', ['-t', 'get_tree'])), {
      timeout: 30_000,
      interval: 300,
    });
    return chromium;
  }

  /**
   * The PipeWire nodes that are screen-sharing streams (media.class Video/Source), as
   * `pw-dump` lists them: `{ id, name }`.
   */
  async videoSources() {
    const objects = JSON.parse(await this.output('pw-dump'));
    return objects
      .filter((o) => o.type === 'PipeWire:Interface:Node' && o.info?.props?.['media.class'] === 'Video/Source')
      .map((o) => ({ id: o.id, name: o.info.props['node.name'] }));
  }

  /** The windows sway shows: `{ appId, shell, output, name }` of each. */
  async windows() {
    const found = [];
    const walk = (node, output) => {
      const here = node.type === 'output' ? node.name : output;
      if ((node.type === 'con' || node.type === 'floating_con') && node.pid) {
        found.push({ appId: node.app_id, shell: node.shell, output: here, name: node.name });
      }
      for (const child of [...(node.nodes ?? []), ...(node.floating_nodes ?? [])]) walk(child, here);
    };
    walk(JSON.parse(await this.output('swaymsg', ['-t', 'get_tree', '-r'])), null);
    return found;
  }

  /** Ends everything started in the session, then the session. */
  async stop() {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGTERM');
    this.child.stdin.end();
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}
