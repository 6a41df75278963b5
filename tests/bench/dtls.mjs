// The lost-DTLS-flight tail, before and after: Instant share press → first expert frame between
// two native peers at LOSS % loss each way (default 5; the network fault harness, netem.mjs),
// RUNS calls with the DTLS layer's own fixed one-second resend (`--stock-dtls-resend`) and RUNS
// with the engine's early resend of lost flights (crates/media/src/peer/flights.rs), alternating
// in blocks so that a busy spell of the machine hits both alike. Prints p50, p95, max and
// p95 / p50 for each; the goal is p95 within 1.5× p50. COMPARE=first-keyframe compares instead
// each call's first keyframe sent once (`--first-keyframe-once`) and twice (the default).
//
// Run through `scripts/bench-media.sh dtls` (release binaries, a network namespace of its own,
// as root). Writes the table to $OUT (default tests/output/bench-dtls.md).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Host } from '../lib/host.mjs';
import { outputDir } from '../lib/paths.mjs';
import { pct, fmt, pressNativeNative } from './common.mjs';
import { withNetwork } from './netem.mjs';

const RUNS = Number(process.env.RUNS ?? 40);
const LOSS = Number(process.env.LOSS ?? 5);
const RTT = Number(process.env.RTT ?? 0);
const BLOCK = 10;
const expert = { username: 'bench', displayName: 'Bench Expert', password: 'bench password 1' };

const host = new Host({ name: 'host-bench-dtls', offerTimeoutSecs: 30 });
await host.addExpert(expert);
await host.start();

const COMPARE = process.env.COMPARE ?? 'dtls';
const comparisons = {
  dtls: {
    column: 'DTLS flight resend',
    variants: [
      ['stock: the DTLS layer resends after 1 s', ['--stock-dtls-resend']],
      ['ours: lost flights resent after 2 × ICE round trip (≥ 10 ms)', []],
    ],
  },
  'first-keyframe': {
    column: 'first keyframe of a call',
    variants: [
      ['sent once', ['--first-keyframe-once']],
      ['sent twice', []],
    ],
  },
};
const comparison = comparisons[COMPARE];
if (!comparison) throw new Error(`COMPARE must be one of ${Object.keys(comparisons).join(', ')}, not ${COMPARE}`);
const variants = comparison.variants.map(([name, flags]) => ({ name, flags, times: [], failures: [] }));
const { counts } = await withNetwork({ lossPercent: LOSS, delayMs: RTT / 2 }, async () => {
  for (let done = 0; done < RUNS; done += BLOCK) {
    for (const v of variants) {
      v.times.push(...(await pressNativeNative(host, expert, Math.min(BLOCK, RUNS - done), v.flags, v.failures)));
      console.log(`${v.name}: ${v.times.length} calls`);
    }
  }
});
await host.stop();

const out = [
  `### Press → first expert frame, native ↔ native, ${LOSS} % loss each way, ${RTT} ms round trip (ms)\n`,
  `| ${comparison.column} | calls | no first frame in 30 s | p50 | p95 | max | p95 / p50 |`,
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...variants.map((v) => {
    const p = pct(v.times);
    return `| ${v.name} | ${p.n + v.failures.length} | ${v.failures.length} | ${fmt(p.p50)} | ${fmt(p.p95)} | ${fmt(p.max)} | ${(p.p95 / p.p50).toFixed(2)} |`;
  }),
  '',
  `The delayer dropped ${counts?.lost ?? '–'} of ${(counts?.lost ?? 0) + (counts?.passed ?? 0)} UDP packets.`,
];
console.log(out.join('\n'));
await writeFile(process.env.OUT ?? path.join(outputDir, 'bench-dtls.md'), out.join('\n') + '\n');
