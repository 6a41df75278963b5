// Media figures for BENCHMARKS.md, ours and Chromium's side by side through the same host:
//   1. Instant share press → first expert frame at the requester (the expert is the Chromium
//      console, accepting as soon as the offer rings): native requester vs Chromium requester.
//   2. Glass to glass from the stamped counter (capture/draw → decoded/shown, one clock):
//      native→native, native→Chromium, Chromium→native, Chromium→Chromium.
//   3. CPU of a 720p30 call (camera + microphone both ways) per side: two native peers vs two
//      Chromium browsers, each side its own process tree: once with each side's test pattern
//      (bars moving across the whole frame, the hard case for an encoder), once with one
//      picture for both — Chromium's own fake camera, received by a native peer and kept as a
//      Y4M file, which the native peers send with `--video file:` and Chromium with
//      `--use-file-for-fake-video-capture`.
//   4. The camera-picture call again at 50 ms round trip and at 5 % loss each way.
// ONLY=press,glass,pattern,camera,impaired runs some sections. Run through scripts/bench-media.sh (release binaries, headless desktop). Prints a Markdown
// table per figure and writes them to $OUT (default tests/output/bench-media.md).
import { writeFile, readFile, readdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { Host } from '../lib/host.mjs';
import { launchChromium, tid } from '../lib/browser.mjs';
import { media, remote, connected } from '../lib/media.mjs';
import { Peer } from '../lib/peer.mjs';
import { waitFor } from '../lib/wait.mjs';
import { outputDir } from '../lib/paths.mjs';
import {
  pct,
  fmt,
  row,
  availableExpert as expertPage,
  endFromExpert,
  join,
  pressNativeNative,
  pressChromiumChromium,
  glassNativeNative,
  glassChromiumChromium,
  poorNetworks,
} from './common.mjs';
import { withNetwork } from './netem.mjs';

const RUNS = Number(process.env.RUNS ?? 30);
const CPU_SECS = Number(process.env.CPU_SECS ?? 10);
// Consecutive CPU_SECS windows per call: this machine's speed moves by a quarter over minutes,
// so one window says little; the median and the range of several say more.
const CPU_WINDOWS = Number(process.env.CPU_WINDOWS ?? 3);
const expert = { username: 'bench', displayName: 'Bench Expert', password: 'bench password 1' };
const out = [];
const say = (line) => {
  console.log(line);
  out.push(line);
};

const host = new Host({ name: 'host-bench-media', offerTimeoutSecs: 30 });
await host.addExpert(expert);
await host.start();
const browser = await launchChromium();

const availableExpert = (context, query) => expertPage(host, expert, context, query);

// ONLY=press,glass,pattern,camera,impaired picks sections (default: all).
const want = (name) => !process.env.ONLY || process.env.ONLY.split(',').includes(name);
const expertContext = await browser.newContext();

// ---------------------------------------------------------------- 1. press → first frame
if (want('press')) {
// Native requester, native expert (instant-share-peer accepts the moment the offer rings).
const nativeNative = await pressNativeNative(host, expert, RUNS);
// Native requester, Chromium expert.
const native = [];
for (let i = 0; i < RUNS; i++) {
  const { page, accepted } = await availableExpert(expertContext);
  const code = await host.enrolmentCode(`Native ${i}`);
  const peer = await Peer.start('requester', ['--host', host.url, '--enrolment-code', code, '--video', 'none', '--audio', 'none', '--duration-secs', '1']);
  const first = await peer.event('first_frame', () => true, 30_000);
  native.push(first.since_press_ms);
  await accepted;
  await peer.finished();
  await page.close();
}
const chromium = await pressChromiumChromium(host, expert, browser, RUNS);
say('### Instant share press → first expert frame at the requester (ms)\n');
say('| requester ↔ expert | runs | p50 | p95 | min | max |');
say('| --- | --- | --- | --- | --- | --- |');
const pn = pct(native);
const pc = pct(chromium);
const pnn = pct(nativeNative);
say(row('native ↔ native (instant-share-peer both sides)', pnn));
say(row('native requester ↔ Chromium console', pn));
say(row('Chromium ↔ Chromium (site page ↔ console)', pc));
say(`\nnative ↔ native p95 is ${(100 * (1 - pnn.p95 / pc.p95)).toFixed(0)} % below Chromium ↔ Chromium's; p50 ${(100 * (1 - pnn.p50 / pc.p50)).toFixed(0)} % below.\n`);

}

// ---------------------------------------------------------------- 2. glass to glass
if (want('glass')) {
// native ↔ native
const { glass: glassNN } = await glassNativeNative(host, expert);
// native ↔ Chromium
{
  const { page, accepted } = await availableExpert(expertContext);
  const code = await host.enrolmentCode('Glass mixed');
  const r = await Peer.start('requester', ['--host', host.url, '--enrolment-code', code, '--duration-secs', '8']);
  await accepted;
  const call = await connected(page, 'the expert');
  await r.finished(60_000);
  const rFirst = r.events.find((x) => x.event === 'first_frame');
  var glassNC = pct(join(await r.stamps('sent-camera.csv'), await media(page, 'received', call.id, 'camera')));
  var glassCN = pct(join(await media(page, 'sent', 'camera'), await r.stamps(`received-${rFirst.from}-camera.csv`)));
  await endFromExpert(page);
  await page.close();
}
// Chromium ↔ Chromium
const { glass: glassCC } = await glassChromiumChromium(host, expert, browser);
say('### Glass to glass, 640x480 at 30 fps: capture or draw → decoded or shown (ms)\n');
say('| path | frames | p50 | p95 | min | max |');
say('| --- | --- | --- | --- | --- | --- |');
say(row('native → native (decoded)', glassNN));
say(row('native → Chromium (shown)', glassNC));
say(row('Chromium → native (decoded)', glassCN));
say(row('Chromium → Chromium (shown)', glassCC));
say('');
}

// ---------------------------------------------------------------- 3. CPU at 720p30
const CLK_TCK = 100;
async function treeCpuTicks(rootPid) {
  const all = await readdir('/proc').catch(() => []);
  const parents = new Map();
  const ticks = new Map();
  for (const name of all) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(Number(name), Number(fields[1]));
    ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p = pid; p; p = parents.get(p)) {
      if (p === rootPid) {
        total += t;
        break;
      }
      if (!parents.has(p)) break;
    }
  }
  return total;
}
/** CPU ticks of each thread of `pid`, summed per thread name. */
async function threadTicks(pid) {
  const ticks = new Map();
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const stat = await readFile(`/proc/${pid}/task/${task}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.set(comm, (ticks.get(comm) ?? 0) + Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}
/** Per thread name, % of one core between two `threadTicks` of one process `secs` apart. */
function threadPercent(before, after, secs) {
  return [...after]
    .map(([comm, t]) => [comm, (100 * (t - (before.get(comm) ?? 0))) / CLK_TCK / secs])
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1]);
}
/** Chromium processes started by this node process (each browser's root). */
async function chromiumChildren() {
  const pids = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === process.pid && comm.startsWith('chrom')) pids.push(Number(name));
  }
  return pids;
}
async function newChromiumRoot(known) {
  const found = (await chromiumChildren()).filter((p) => !known.has(p));
  if (found.length !== 1) throw new Error(`expected one new Chromium, found ${found}`);
  return found[0];
}
/**
 * CPU of each pid's process tree, % of one core, in CPU_WINDOWS consecutive windows of `secs`:
 * per pid, the figure of each window (one reading of the ticks ends a window and starts the next).
 */
async function cpuWindows(pids, secs) {
  const per = pids.map(() => []);
  let before = await Promise.all(pids.map(treeCpuTicks));
  for (let w = 0; w < CPU_WINDOWS; w++) {
    await delay(secs * 1000);
    const after = await Promise.all(pids.map(treeCpuTicks));
    after.forEach((a, i) => per[i].push((100 * (a - before[i])) / CLK_TCK / secs));
    before = after;
  }
  return per;
}
/** The median, as `pct` takes it (of an even count, the upper of the middle two). */
const median = (xs) => pct(xs).p50;
/** "22.4 (21.0–23.9)": the median of the windows and their range. */
const spread = (xs) => {
  const p = pct(xs);
  return p.n > 1 ? `${fmt(p.p50)} (${fmt(p.min)}–${fmt(p.max)})` : fmt(p.p50);
};
/**
 * CPU of one 720p30 call per pair: two native peers sending `nativeVideo`, then two Chromium
 * browsers (each side its own) with `chromiumArgs` whose pages open with `chromiumQuery`.
 */
async function cpuCall(tag, label, { nativeVideo, nativeArgs = [], chromiumQuery, chromiumArgs }) {
  const secs = String(CPU_SECS * CPU_WINDOWS + 6);
  const code = await host.enrolmentCode(`CPU native ${tag}`);
  const common = ['--host', host.url, '--size', '1280x720', '--video', nativeVideo, '--duration-secs', secs, ...nativeArgs];
  const e = await Peer.start('expert', [...common, '--username', expert.username], { stdin: `${expert.password}\n` });
  await e.event('ready');
  const r = await Peer.start('requester', [...common, '--enrolment-code', code]);
  await r.event('first_frame');
  await delay(3000);
  const threadsBefore = await threadTicks(r.child.pid);
  const native = await cpuWindows([e.child.pid, r.child.pid], CPU_SECS);
  const threads = threadPercent(threadsBefore, await threadTicks(r.child.pid), CPU_SECS * CPU_WINDOWS);
  await Promise.all([e.finished(60_000), r.finished(60_000)]);
  const fps = r.events.filter((x) => x.event === 'stats' && x.track.direction === 'receive' && x.track.kind === 'camera').map((x) => x.track.fps).filter((f) => f > 0);

  const before1 = new Set(await chromiumChildren());
  const b1 = await launchChromium(chromiumArgs);
  const pid1 = await newChromiumRoot(before1);
  const before2 = new Set(await chromiumChildren());
  const b2 = await launchChromium(chromiumArgs);
  const pid2 = await newChromiumRoot(before2);
  const ctx1 = await b1.newContext();
  const ctx2 = await b2.newContext();
  const { page, accepted } = await availableExpert(ctx1, chromiumQuery);
  const requester = await ctx2.newPage();
  const device = await host.enrolDevice(`CPU chromium ${tag}`);
  const pointer = await host.requestShare(device.credential, { topic: 'network' });
  await requester.goto(`${host.url}/s/${pointer.session_id}?${chromiumQuery}#token=${encodeURIComponent(pointer.participant_token)}`);
  await accepted;
  await connected(requester, 'the requester');
  await requester.locator(tid('media-start')).click();
  await connected(page, 'the expert');
  // Chromium starts small and raises the resolution with its bandwidth estimate: measure from
  // when the expert receives 1280x720 (or after 20 s, whatever it sends then).
  const inbound = async () => (await media(page, 'stats'))[(await remote(page)).id]?.inbound?.camera;
  await waitFor('Chromium to send 1280x720', async () => (await inbound())?.width >= 1280, { timeout: 20_000 }).catch(() => {});
  await delay(3000);
  const chromium = await cpuWindows([pid1, pid2], CPU_SECS);
  const chromiumIn = await inbound();
  await endFromExpert(page);
  await b1.close();
  await b2.close();

  say(`#### ${label}\n`);
  say(`Median of ${CPU_WINDOWS} consecutive ${CPU_SECS} s windows, their range in brackets:\n`);
  say('| side | ours (instant-share-peer) | Chromium (browser process tree) |');
  say('| --- | --- | --- |');
  say(`| expert | ${spread(native[0])} | ${spread(chromium[0])} |`);
  say(`| requester | ${spread(native[1])} | ${spread(chromium[1])} |`);
  const ratio = (median(native[0]) + median(native[1])) / (median(chromium[0]) + median(chromium[1]));
  say(`\nOurs per thread (the requester over all windows, % of one core): ${threads.map(([comm, v]) => `${comm} ${fmt(v)}`).join(', ')}.`);
  say(`\nours / Chromium: ${ratio.toFixed(2)}×. Received camera: ours ${fps.slice(2, -1).map((f) => f.toFixed(0)).join(', ')} fps; Chromium ${JSON.stringify(chromiumIn && { fps: chromiumIn.fps, width: chromiumIn.width, height: chromiumIn.height, kbps: Math.round(chromiumIn.kbps) })}.\n`);
}

/**
 * Chromium's own fake camera at 1280x720 (`--use-fake-device-for-media-stream`: a still
 * picture with a small moving part), as a native expert receives it, kept as a Y4M file of
 * `frames` pictures.
 */
async function recordChromiumCamera(file, frames) {
  const e = await Peer.start('expert', ['--host', host.url, '--username', expert.username, '--size', '1280x720', '--video', 'none', '--audio', 'none', '--save-video', file, '--save-frames', String(frames), '--duration-secs', '40'], { stdin: `${expert.password}\n` });
  await e.event('ready');
  const b = await launchChromium();
  const requester = await (await b.newContext()).newPage();
  const device = await host.enrolDevice('Camera recording');
  const pointer = await host.requestShare(device.credential, { topic: 'network' });
  await requester.goto(`${host.url}/s/${pointer.session_id}#token=${encodeURIComponent(pointer.participant_token)}`);
  await connected(requester, 'the requester');
  await requester.locator(tid('media-start')).click();
  await e.event('saved', () => true, 40_000);
  // SIGTERM: the peer ends the session, which frees the expert for the next call.
  e.stop();
  await e.finished(15_000);
  await b.close();
}

say(`### CPU of a 720p30 call (camera + microphone both ways), % of one core over ${CPU_SECS} s\n`);
if (want('pattern')) {
  await cpuCall('pattern', 'Each side its test pattern (bars moving across the whole frame)', {
    nativeVideo: 'pattern',
    chromiumQuery: 'media=synthetic&size=1280x720',
    chromiumArgs: [],
  });
}
const cameraFile = path.join(outputDir, 'chromium-camera-720p.y4m');
if (want('camera') || want('impaired')) await recordChromiumCamera(cameraFile, 150);
if (want('camera')) {
  await cpuCall('camera', "One picture both sides: Chromium's fake camera, 5 s looped from a Y4M file", {
    nativeVideo: `file:${cameraFile}`,
    chromiumQuery: '',
    chromiumArgs: [`--use-file-for-fake-video-capture=${cameraFile}`],
  });
}
// The camera picture on a poor network, as in bench/network.mjs: delay and loss made by the
// network fault harness (netem.mjs), for ours and Chromium alike.
if (want('impaired')) {
  for (const c of poorNetworks) {
    await withNetwork(c.network, () =>
      cpuCall(`camera ${c.name}`, `The camera picture at ${c.name}`, {
        nativeVideo: `file:${cameraFile}`,
        chromiumQuery: '',
        chromiumArgs: [`--use-file-for-fake-video-capture=${cameraFile}`],
      }),
    );
  }
}

await browser.close();
await host.stop();
const file = process.env.OUT ?? path.join(outputDir, 'bench-media.md');
await writeFile(file, out.join('\n') + '\n');
console.log(`written to ${file}`);
