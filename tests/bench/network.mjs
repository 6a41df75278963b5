// Media figures on a poor network for BENCHMARKS.md, ours and Chromium's side by side through
// the same host: Instant share press → first expert frame, glass to glass, received frames a
// second — at 50 ms round trip, and at 5 % loss each way.
//
// This machine's kernel has no `sch_netem`, so `tc netem` cannot shape traffic between network
// namespaces. Both sides emulate the network inside the endpoint instead, the same way:
// Chromium with WebRTC's own `WebRTC-FakeNetworkSendConfig` field trial (`queue_delay_ms`,
// `loss_percent`: every outgoing RTP and RTCP packet held or dropped), ours with the engine's
// equivalent (`instant-share-peer --net-delay-ms --net-loss-percent`). Both sides of a call set
// it, so each direction gets it once. ICE and DTLS are not affected in either. The last column
// shows whether the emulation took: Debian's Chromium 156 ignores the field trial (RTCP round
// trip ~1 ms, no NACKs), which BENCHMARKS.md says.
//
// Run through `scripts/bench-media.sh network` (release binaries, headless desktop). Prints Markdown
// tables and writes them to $OUT (default tests/output/bench-network.md).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Host } from '../lib/host.mjs';
import { launchChromium } from '../lib/browser.mjs';
import { outputDir } from '../lib/paths.mjs';
import { pct, fmt, row, pressNativeNative, pressChromiumChromium, glassNativeNative, glassChromiumChromium, poorNetworks as conditions } from './common.mjs';

const RUNS = Number(process.env.RUNS ?? 15);
const expert = { username: 'bench', displayName: 'Bench Expert', password: 'bench password 1' };
const out = [];
const say = (line) => {
  console.log(line);
  out.push(line);
};
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

const host = new Host({ name: 'host-bench-network', offerTimeoutSecs: 30 });
await host.addExpert(expert);
await host.start();

const results = [];
for (const c of conditions) {
  console.log(`== ${c.name}`);
  const browser = await launchChromium([`--force-fieldtrials=WebRTC-FakeNetworkSendConfig/${c.trial}/`]);
  try {
    const pressNN = pct(await pressNativeNative(host, expert, RUNS, c.peer));
    const pressCC = pct(await pressChromiumChromium(host, expert, browser, RUNS));
    const nn = await glassNativeNative(host, expert, c.peer);
    const cc = await glassChromiumChromium(host, expert, browser);
    results.push({ c, pressNN, pressCC, nn, cc });
  } finally {
    await browser.close();
  }
}

for (const { c, pressNN, pressCC } of results) {
  say(`### Press → first expert frame at the requester, ${c.name} (ms)\n`);
  say('| requester ↔ expert | runs | p50 | p95 | min | max |');
  say('| --- | --- | --- | --- | --- | --- |');
  say(row('native ↔ native', pressNN));
  say(row('Chromium ↔ Chromium', pressCC));
  say(`\nnative ↔ native p95 is ${(100 * (1 - pressNN.p95 / pressCC.p95)).toFixed(0)} % below Chromium ↔ Chromium's.\n`);
}
say('### Glass to glass and the received camera, 640x480 at 30 fps, 8 s calls\n');
say('| network | path | frames | p50 ms | p95 ms | max ms | received fps | frames lost | freezes | evidence of the emulation |');
say('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { c, nn, cc } of results) {
  const r = nn.received ?? {};
  say(`| ${c.name} | native ↔ native | ${nn.glass.n} | ${fmt(nn.glass.p50)} | ${fmt(nn.glass.p95)} | ${fmt(nn.glass.max)} | ${fmt(mean(nn.fps))} | ${r.frames_lost ?? '–'} | ${r.freezes ?? '–'} | loss seen by the receiver before repair ${fmt(r.loss_percent)} %, keyframe requests ${r.keyframe_requests_or_drops ?? '–'} |`);
  const s = cc.stats?.inbound?.camera ?? {};
  const o = cc.stats?.outbound?.camera ?? {};
  say(`| ${c.name} | Chromium ↔ Chromium | ${cc.glass.n} | ${fmt(cc.glass.p50)} | ${fmt(cc.glass.p95)} | ${fmt(cc.glass.max)} | ${fmt(s.fps)} | – | ${s.freezes ?? '–'} | media round trip (RTCP) ${fmt(cc.stats?.mediaRttMs)} ms, NACKs received ${o.nacks ?? '–'} |`);
}
say('');

await host.stop();
const file = process.env.OUT ?? path.join(outputDir, 'bench-network.md');
await writeFile(file, out.join('\n') + '\n');
console.log(`written to ${file}`);
