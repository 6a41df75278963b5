// Media figures for BENCHMARKS.md, ours and Chromium's side by side through the same host:
//   1. Instant share press → first expert frame at the requester (the expert is the Chromium
//      console, accepting as soon as the offer rings): native requester vs Chromium requester.
//   2. Glass to glass from the stamped counter (capture/draw → decoded/shown, one clock):
//      native→native, native→Chromium, Chromium→native, Chromium→Chromium.
//   3. CPU of a 720p30 call (camera + microphone both ways) per side: two native peers vs two
//      Chromium browsers, each side its own process tree.
// Run through scripts/bench-media.sh (release binaries, headless desktop). Prints a Markdown
// table per figure and writes them to $OUT (default tests/output/bench-media.md).
import { writeFile, readFile, readdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { Host } from '../lib/host.mjs';
import { launchChromium, tid } from '../lib/browser.mjs';
import { media, remote, connected } from '../lib/media.mjs';
import { Peer } from '../lib/peer.mjs';
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
} from './common.mjs';

const RUNS = Number(process.env.RUNS ?? 30);
const CPU_SECS = Number(process.env.CPU_SECS ?? 10);
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

// ---------------------------------------------------------------- 1. press → first frame
const expertContext = await browser.newContext();
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

// ---------------------------------------------------------------- 2. glass to glass
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
async function cpuPercent(pids, secs) {
  const before = await Promise.all(pids.map(treeCpuTicks));
  await delay(secs * 1000);
  const after = await Promise.all(pids.map(treeCpuTicks));
  return after.map((a, i) => (100 * (a - before[i])) / CLK_TCK / secs);
}
// native ↔ native at 720p
{
  const code = await host.enrolmentCode('CPU native');
  const e = await Peer.start('expert', ['--host', host.url, '--username', expert.username, '--size', '1280x720', '--duration-secs', String(CPU_SECS + 6)], { stdin: `${expert.password}\n` });
  await e.event('ready');
  const r = await Peer.start('requester', ['--host', host.url, '--enrolment-code', code, '--size', '1280x720', '--duration-secs', String(CPU_SECS + 6)]);
  await r.event('first_frame');
  await delay(3000);
  var cpuNative = await cpuPercent([e.child.pid, r.child.pid], CPU_SECS);
  await Promise.all([e.finished(60_000), r.finished(60_000)]);
  const fps = r.events.filter((x) => x.event === 'stats' && x.track.direction === 'receive' && x.track.kind === 'camera').map((x) => x.track.fps).filter((f) => f > 0);
  var nativeFps = fps.slice(2, -1);
}
// Chromium ↔ Chromium at 720p: two browsers, one per side.
{
  const before1 = new Set(await chromiumChildren());
  const b1 = await launchChromium();
  const pid1 = await newChromiumRoot(before1);
  const before2 = new Set(await chromiumChildren());
  const b2 = await launchChromium();
  const pid2 = await newChromiumRoot(before2);
  const ctx1 = await b1.newContext();
  const ctx2 = await b2.newContext();
  const { page, accepted } = await availableExpert(ctx1, 'media=synthetic&size=1280x720');
  const requester = await ctx2.newPage();
  const device = await host.enrolDevice('CPU chromium');
  const pointer = await host.requestShare(device.credential, { topic: 'network' });
  await requester.goto(`${host.url}/s/${pointer.session_id}?media=synthetic&size=1280x720#token=${encodeURIComponent(pointer.participant_token)}`);
  await accepted;
  await connected(requester, 'the requester');
  await requester.locator(tid('media-start')).click();
  await connected(page, 'the expert');
  await delay(3000);
  var cpuChromium = await cpuPercent([pid1, pid2], CPU_SECS);
  const s = (await media(page, 'stats'))[(await remote(page)).id];
  var chromiumIn = s?.inbound?.camera;
  await endFromExpert(page);
  await b1.close();
  await b2.close();
}
say(`### CPU of a 720p30 call (camera + microphone both ways), % of one core over ${CPU_SECS} s\n`);
say('| side | ours (instant-share-peer) | Chromium (browser process tree) |');
say('| --- | --- | --- |');
say(`| expert | ${fmt(cpuNative[0])} | ${fmt(cpuChromium[0])} |`);
say(`| requester | ${fmt(cpuNative[1])} | ${fmt(cpuChromium[1])} |`);
const ratio = (cpuNative[0] + cpuNative[1]) / (cpuChromium[0] + cpuChromium[1]);
say(`\nours / Chromium: ${ratio.toFixed(2)}×. Received camera: ours ${nativeFps.map((f) => f.toFixed(0)).join(', ')} fps; Chromium ${JSON.stringify(chromiumIn && { fps: chromiumIn.fps, width: chromiumIn.width, height: chromiumIn.height, kbps: Math.round(chromiumIn.kbps) })}.\n`);

await browser.close();
await host.stop();
const file = process.env.OUT ?? path.join(outputDir, 'bench-media.md');
await writeFile(file, out.join('\n') + '\n');
console.log(`written to ${file}`);
