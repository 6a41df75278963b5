// Media figures on a poor network for BENCHMARKS.md, ours and Chromium's side by side through
// the same host: Instant share press → first expert frame, glass to glass, freezes and the
// received frames a second.
//
// The network is made by the fault harness (crates/netem, `withNetwork` in netem.mjs): every UDP
// packet on loopback — ICE, DTLS, RTP, RTCP — is delayed and lost by the delayer behind
// iptables' NFQUEUE, for ours and Chromium alike, each way. The signalling (the host's
// WebSocket, TCP) is not impaired, for both alike.
//
//   NETWORKS=default (50 ms round trip; 5 % loss each way)
//   NETWORKS=matrix  (loss 0/1/5/10/20 % × round trip 0/50/150/300 ms)
//   NETWORKS='loss=5,rtt=50;loss=0,rtt=300'  (any list)
//
// Run through `scripts/bench-media.sh network` (release binaries, a network namespace of its
// own, as root). Prints Markdown tables and writes them to $OUT (default
// tests/output/bench-network.md).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Host } from '../lib/host.mjs';
import { launchChromium } from '../lib/browser.mjs';
import { outputDir } from '../lib/paths.mjs';
import { pct, fmt, row, pressNativeNative, pressChromiumChromium, glassNativeNative, glassChromiumChromium, poorNetworks } from './common.mjs';
import { withNetwork } from './netem.mjs';

const RUNS = Number(process.env.RUNS ?? 15);
const GLASS_SECS = Number(process.env.GLASS_SECS ?? 8);
const expert = { username: 'bench', displayName: 'Bench Expert', password: 'bench password 1' };
const out = [];
const say = (line) => {
  console.log(line);
  out.push(line);
};
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** The networks NETWORKS names. */
function networks(spec = 'default') {
  if (spec === 'default') return poorNetworks;
  const cells = spec === 'matrix'
    ? [0, 50, 150, 300].flatMap((rtt) => [0, 1, 5, 10, 20].map((loss) => ({ rtt, loss })))
    : spec.split(';').map((cell) => Object.fromEntries(cell.split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)])));
  return cells.map(({ rtt = 0, loss = 0 }) => ({
    name: `${rtt} ms round trip, ${loss} % loss each way`,
    short: `${rtt} ms, ${loss} %`,
    network: { delayMs: rtt / 2, lossPercent: loss },
  }));
}
const conditions = networks(process.env.NETWORKS);

const host = new Host({ name: 'host-bench-network', offerTimeoutSecs: 30 });
await host.addExpert(expert);
await host.start();

const results = [];
const started = Date.now();
for (const c of conditions) {
  console.log(`== ${c.name}`);
  const browser = await launchChromium();
  try {
    const { result, counts } = await withNetwork(c.network, async () => {
      // A call with no first frame is counted, not a reason to stop: the matrix is long.
      const failedNN = [];
      const failedCC = [];
      const pressNN = { ...pct(await pressNativeNative(host, expert, RUNS, [], failedNN)), failed: failedNN.length };
      const pressCC = { ...pct(await pressChromiumChromium(host, expert, browser, RUNS, failedCC)), failed: failedCC.length };
      const nn = await glassNativeNative(host, expert, [], GLASS_SECS);
      const cc = await glassChromiumChromium(host, expert, browser, GLASS_SECS);
      return { pressNN, pressCC, nn, cc };
    });
    const lost = counts ? (100 * counts.lost) / Math.max(1, counts.lost + counts.passed) : 0;
    results.push({ c, ...result, lost });
    console.log(`   delayer: ${JSON.stringify(counts)}`);
    // Each cell as it is done (ours / Chromium): a run that dies later keeps what it measured.
    const { pressNN, pressCC, nn, cc } = result;
    console.log(`   no first frame in time: ${pressNN.failed} / ${pressCC.failed}`);
    console.log(`   press p50 ${fmt(pressNN.p50)} / ${fmt(pressCC.p50)}, p95 ${fmt(pressNN.p95)} / ${fmt(pressCC.p95)}, max ${fmt(pressNN.max)} / ${fmt(pressCC.max)}; glass p50 ${fmt(nn.glass.p50)} / ${fmt(cc.glass.p50)}, p95 ${fmt(nn.glass.p95)} / ${fmt(cc.glass.p95)}; fps ${fmt(mean(nn.fps))} / ${fmt(cc.stats?.inbound?.camera?.fps)}; freezes ${nn.received?.freezes ?? '–'} / ${cc.stats?.inbound?.camera?.freezes ?? '–'}`);
  } finally {
    await browser.close();
  }
}
console.log(`all networks in ${((Date.now() - started) / 1000).toFixed(0)} s`);

const nativeRow = (nn) => {
  const r = nn.received ?? {};
  return { fps: mean(nn.fps), lost: r.frames_lost, freezes: r.freezes, evidence: `loss before repair ${fmt(r.loss_percent)} %, NACKs ${r.nacks ?? '–'}, keyframe requests ${r.keyframe_requests_or_drops ?? '–'}` };
};
const chromiumRow = (cc) => {
  const s = cc.stats?.inbound?.camera ?? {};
  const o = cc.stats?.outbound?.camera ?? {};
  return { fps: s.fps, lost: undefined, freezes: s.freezes, evidence: `RTCP round trip ${fmt(cc.stats?.mediaRttMs)} ms, NACKs ${o.nacks ?? '–'}` };
};

if (conditions.length <= 2) {
  for (const { c, pressNN, pressCC } of results) {
    say(`### Press → first expert frame at the requester, ${c.name} (ms)\n`);
    say('| requester ↔ expert | runs | p50 | p95 | min | max |');
    say('| --- | --- | --- | --- | --- | --- |');
    say(row('native ↔ native', pressNN));
    say(row('Chromium ↔ Chromium', pressCC));
    const below = 100 * (1 - pressNN.p95 / pressCC.p95);
    say(`\nnative ↔ native p95 is ${Math.abs(below).toFixed(0)} % ${below >= 0 ? 'below' : 'above'} Chromium ↔ Chromium's.\n`);
  }
  say(`### Glass to glass and the received camera, 640x480 at 30 fps, ${GLASS_SECS} s calls\n`);
  say('| network | path | frames | p50 ms | p95 ms | max ms | received fps | frames lost | freezes | evidence of the network |');
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { c, nn, cc } of results) {
    for (const [label, g, x] of [['native ↔ native', nn.glass, nativeRow(nn)], ['Chromium ↔ Chromium', cc.glass, chromiumRow(cc)]]) {
      say(`| ${c.name} | ${label} | ${g.n} | ${fmt(g.p50)} | ${fmt(g.p95)} | ${fmt(g.max)} | ${fmt(x.fps)} | ${x.lost ?? '–'} | ${x.freezes ?? '–'} | ${x.evidence} |`);
    }
  }
} else {
  say(`### The matrix: ${RUNS} presses per side and cell, ${GLASS_SECS} s calls (ms; ours / Chromium)\n`);
  say('| round trip, loss each way | no first frame | press p50 | press p95 | press max | glass p50 | glass p95 | freezes | received fps | delayer dropped |');
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const pair = (a, b) => `${fmt(a)} / ${fmt(b)}`;
  for (const { c, pressNN, pressCC, nn, cc, lost } of results) {
    const n = nativeRow(nn);
    const k = chromiumRow(cc);
    say(`| ${c.short} | ${pressNN.failed} / ${pressCC.failed} | ${pair(pressNN.p50, pressCC.p50)} | ${pair(pressNN.p95, pressCC.p95)} | ${pair(pressNN.max, pressCC.max)} | ${pair(nn.glass.p50, cc.glass.p50)} | ${pair(nn.glass.p95, cc.glass.p95)} | ${n.freezes ?? '–'} / ${k.freezes ?? '–'} | ${pair(n.fps, k.fps)} | ${fmt(lost)} % |`);
  }
  say('');
}

await host.stop();
const file = process.env.OUT ?? path.join(outputDir, 'bench-network.md');
await writeFile(file, out.join('\n') + '\n');
console.log(`written to ${file}`);
