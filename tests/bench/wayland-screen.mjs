// Screen sharing on Wayland against X11 on this machine, for BENCHMARKS.md. Both desktops at
// SIZE (default 1920x1080) show the same stamped test pattern (a Chromium window that paints a
// new stamp at every repaint, tests/lib/wayland.mjs) and the same sharer shares them at 15
// frames a second: the native engine (`instant-share-peer --screen-fps 15`, the capture code the
// app uses; it picks the portal on Wayland, GetImage on X11). The expert is the Chromium console
// (headless). Per desktop, over SECS seconds of a running share (ROUNDS rounds, alternating,
// Wayland first):
//   - glass to glass: the sharer's capture time of each stamp → the time the expert's Chromium
//     decoded and showed it (one clock), p50/p95;
//   - frames a second: captured by the sharer (and the p95 of the time between two captures),
//     and new pictures (different stamps) shown by the expert; the mean time a frame waited in
//     the expert Chromium's jitter buffer (getStats);
//   - CPU, % of one core: the sharer; the desktop's side (Wayland: sway, PipeWire, WirePlumber
//     and the portals; X11: Xvfb); the pattern window's Chromium is left out of both.
// Run through scripts/bench-wayland.sh (release host and peer). Prints Markdown and writes it to
// $OUT (default tests/output/bench-wayland.md).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Host } from '../lib/host.mjs';
import { launchChromium } from '../lib/browser.mjs';
import { media, connected, pageNow } from '../lib/media.mjs';
import { Peer } from '../lib/peer.mjs';
import { waitFor } from '../lib/wait.mjs';
import { outputDir } from '../lib/paths.mjs';
import { WaylandDesktop, writePatternPage } from '../lib/wayland.mjs';
import { pct, fmt, availableExpert, endFromExpert, join } from './common.mjs';

const SECS = Number(process.env.SECS ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const SIZE = process.env.SIZE ?? '1920x1080';
const FPS = 15;
const CLK_TCK = 100;
const chromiumPath = process.env.INSTANT_SHARE_CHROMIUM ?? '/usr/bin/chromium';
const expert = { username: 'bench', displayName: 'Bench Expert', password: 'bench password 1' };
const out = [];
const say = (line) => {
  console.log(line);
  out.push(line);
};

/** CPU ticks (user + system) of each process in `pids`, summed. */
async function ticks(pids) {
  let total = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += Number(fields[11]) + Number(fields[12]);
  }
  return total;
}

/** Pids whose command name is in `names` and whose environment has `marker` ("KEY=value"). */
async function processesWith(names, marker) {
  const found = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (!stat || !names.includes(stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')))) continue;
    const environ = await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(marker)) found.push(Number(name));
  }
  return found;
}

/** The Wayland desktop at SIZE with the pattern: `{ run, desktopPids, stop }`. */
async function wayland() {
  const desktop = await WaylandDesktop.start('bench', SIZE);
  await desktop.showPattern();
  const names = ['sway', 'pipewire', 'wireplumber', 'xdg-desktop-por'];
  const desktopPids = await processesWith(names, `XDG_RUNTIME_DIR=${desktop.env.XDG_RUNTIME_DIR}`);
  return { name: 'Wayland (sway headless, pixman; portal + PipeWire)', run: desktop.run, desktopPids, stop: () => desktop.stop() };
}

/** An Xvfb at SIZE with the pattern in a full-screen Chromium: `{ run, desktopPids, stop }`. */
async function x11() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'instant-share-bench-x11-'));
  const [w, h] = SIZE.split('x');
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${w}x${h}x24`, '-nolisten', 'tcp', '-noreset'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let number = '';
  xvfb.stdio[3].on('data', (d) => (number += d));
  const display = await waitFor('Xvfb to report its display', () => (/\n/.test(number) ? `:${number.trim()}` : null), { timeout: 10_000, interval: 50 });
  const page = await writePatternPage(dir);
  const pattern = spawn(
    chromiumPath,
    ['--ozone-platform=x11', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--kiosk', `--window-size=${w},${h}`, '--window-position=0,0',
      `--user-data-dir=${path.join(dir, 'profile')}`, '--password-store=basic', `file://${page}`],
    { stdio: 'ignore', env: { ...process.env, DISPLAY: display, WAYLAND_DISPLAY: '' } },
  );
  await delay(3000); // the window maps and paints
  const run = (command, args, options = {}) =>
    spawn(command, args, { stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(options.env ?? {}), DISPLAY: display, WAYLAND_DISPLAY: '' } });
  return {
    name: `X11 (Xvfb ${display}, GetImage)`,
    run,
    desktopPids: [xvfb.pid],
    stop: async () => {
      pattern.kill('SIGTERM');
      xvfb.kill('SIGTERM');
      await Promise.all([once(pattern, 'exit'), once(xvfb, 'exit')]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const host = new Host({ name: 'host-bench-wayland', offerTimeoutSecs: 30 });
await host.addExpert(expert);
await host.start();
const browser = await launchChromium();

/** One share of `desktop` to the expert: the figures over SECS seconds. */
async function measure(desktop, round) {
  const context = await browser.newContext();
  const { page, accepted } = await availableExpert(host, expert, context);
  const code = await host.enrolmentCode(`Screen ${round}`);
  const peer = await Peer.start(
    'requester',
    ['--host', host.url, '--enrolment-code', code, '--video', 'none', '--audio', 'none', '--screen-fps', String(FPS), '--duration-secs', String(SECS + 40)],
    { run: desktop.run },
  );
  try {
    await accepted;
    await peer.event('call', (e) => e.state === 'connected', 30_000);
    const { id } = await connected(page, 'the expert');
    await waitFor('the expert to show the screen', async () => (await media(page, 'received', id, 'screen')).length > 0, { timeout: 30_000 });
    await delay(3000); // past the first key frames and the encoder's ramp up
    const from = await pageNow(page);
    const [peer0, desk0] = [await ticks([peer.child.pid]), await ticks(desktop.desktopPids)];
    await delay(SECS * 1000);
    const to = await pageNow(page);
    const [peer1, desk1] = [await ticks([peer.child.pid]), await ticks(desktop.desktopPids)];
    const shown = (await media(page, 'received', id, 'screen')).filter((r) => r.at >= from && r.at <= to);
    // Chromium's jitter buffer: the mean time a decoded frame waited there, since the start.
    const jitterBufferMs = (await media(page, 'stats'))[id]?.inbound?.screen?.jitterBufferMs ?? null;
    const sent = await peer.stamps('sent-screen.csv');
    const inWindow = sent.filter((r) => r.at >= from && r.at <= to);
    const captured = inWindow.length;
    const gaps = inWindow.slice(1).map((r, i) => r.at - inWindow[i].at);
    const glass = join(sent, shown);
    const secs = (to - from) / 1000;
    return {
      glass,
      gaps,
      jitterBufferMs,
      capturedFps: captured / secs,
      shownFps: new Set(shown.map((r) => r.stamp)).size / secs,
      sharerCpu: (100 * (peer1 - peer0)) / CLK_TCK / secs,
      desktopCpu: (100 * (desk1 - desk0)) / CLK_TCK / secs,
    };
  } finally {
    peer.stop();
    await peer.finished(15_000).catch(() => {});
    await endFromExpert(page);
    await context.close();
  }
}

const results = { wayland: [], x11: [] };
const names = {};
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [key, start] of [['wayland', wayland], ['x11', x11]]) {
      const desktop = await start();
      names[key] = desktop.name;
      try {
        const r = await measure(desktop, `${key} ${round}`);
        console.log(`round ${round}, ${key}: ${JSON.stringify({ ...r, glass: pct(r.glass), gaps: pct(r.gaps) })}`);
        results[key].push(r);
      } finally {
        await desktop.stop();
      }
    }
  }
} finally {
  await browser.close();
  await host.stop();
}

const median = (xs) => pct(xs).p50;
say(`### Screen share at ${SIZE}, ${FPS} frames a second: Wayland against X11\n`);
say(`Sharer: instant-share-peer (release), the app's capture code. ${ROUNDS} rounds of ${SECS} s per desktop, alternating; glass to glass over all frames of all rounds, the rest the median of the rounds.\n`);
say('| desktop | frames | glass to glass p50 (ms) | p95 (ms) | between captures p95 (ms) | Chromium jitter buffer (ms) | captured fps | new pictures shown a second | sharer CPU (% of a core) | desktop CPU (% of a core) |');
say('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const key of ['wayland', 'x11']) {
  const rs = results[key];
  if (rs.length === 0) continue;
  const glass = pct(rs.flatMap((r) => r.glass));
  say(
    `| ${names[key]} | ${glass.n} | ${fmt(glass.p50)} | ${fmt(glass.p95)} | ${fmt(pct(rs.flatMap((r) => r.gaps)).p95)} | ${fmt(median(rs.map((r) => r.jitterBufferMs)))} | ${fmt(median(rs.map((r) => r.capturedFps)))} | ${fmt(median(rs.map((r) => r.shownFps)))} | ${fmt(median(rs.map((r) => r.sharerCpu)))} | ${fmt(median(rs.map((r) => r.desktopCpu)))} |`,
  );
}
await writeFile(process.env.OUT ?? path.join(outputDir, 'bench-wayland.md'), `${out.join('\n')}\n`);
