// Media figures on a poor network for BENCHMARKS.md, ours and Chromium's side by side through
// the same host: Instant share press → first expert frame, glass to glass, received frames a
// second — at 50 ms round trip, and at 5 % loss each way.
//
// The loss is real: the kernel drops 5 % of all UDP on loopback (iptables, `withUdpLoss` in
// common.mjs; needs root), ICE, DTLS, RTP and RTCP alike, for ours and Chromium. The delay is
// emulated inside the endpoints, since this kernel has neither `sch_netem` nor `sch_fq`: ours
// with the engine's fault layer (`instant-share-peer --net-delay-ms`, every RTP and RTCP packet
// held; both sides set it, so each direction gets it once), Chromium with WebRTC's own
// `WebRTC-FakeNetworkSendConfig` field trial (`queue_delay_ms`). The last column shows whether
// the network took: Debian's Chromium 156 ignores the field trial (RTCP round trip ~1 ms),
// which BENCHMARKS.md says; under the real loss its senders receive NACKs.
//
// Run through `scripts/bench-media.sh network` (release binaries, headless desktop). Prints Markdown
// tables and writes them to $OUT (default tests/output/bench-network.md).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Host } from '../lib/host.mjs';
import { launchChromium } from '../lib/browser.mjs';
import { outputDir } from '../lib/paths.mjs';
import { pct, fmt, row, pressNativeNative, pressChromiumChromium, glassNativeNative, glassChromiumChromium, poorNetworks as conditions, withUdpLoss } from './common.mjs';

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
  const browser = await launchChromium(c.chromium);
  try {
    await withUdpLoss(c.udpLossPercent, async () => {
      const pressNN = pct(await pressNativeNative(host, expert, RUNS, c.peer));
      const pressCC = pct(await pressChromiumChromium(host, expert, browser, RUNS));
      const nn = await glassNativeNative(host, expert, c.peer);
      const cc = await glassChromiumChromium(host, expert, browser);
      results.push({ c, pressNN, pressCC, nn, cc });
    });
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
  const below = 100 * (1 - pressNN.p95 / pressCC.p95);
  say(`\nnative ↔ native p95 is ${Math.abs(below).toFixed(0)} % ${below >= 0 ? 'below' : 'above'} Chromium ↔ Chromium's.\n`);
}
say('### Glass to glass and the received camera, 640x480 at 30 fps, 8 s calls\n');
say('| network | path | frames | p50 ms | p95 ms | max ms | received fps | frames lost | freezes | evidence of the network |');
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
