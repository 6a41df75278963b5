// The network fault harness (crates/netem) from a benchmark: `withNetwork` impairs every UDP
// packet on loopback — ICE, DTLS, RTP, RTCP; ours and Chromium's alike — while a function runs.
// Only inside the private network namespace of `scripts/netem.sh` (INSTANT_SHARE_NETNS=1), so
// that nothing else on the machine is touched; as root.
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const TAG = 'instant-share-netem';
const bin = () => {
  const b = process.env.INSTANT_SHARE_NETEM_BIN;
  if (!b) throw new Error('INSTANT_SHARE_NETEM_BIN is not set: run through scripts/netem.sh');
  return b;
};

const run = (tool, args) =>
  new Promise((resolve, reject) => {
    execFile(tool, args, (error, stdout, stderr) => (error ? reject(new Error(`${tool} ${args.join(' ')}: ${stderr.trim() || error.message}`)) : resolve(stdout)));
  });

/** A network: one-way delay and jitter (ms) and loss (%), each way. */
export const describe = ({ delayMs = 0, jitterMs = 0, lossPercent = 0 }) => `delay=${delayMs},jitter=${jitterMs},loss=${lossPercent}`;

/**
 * Runs `fn` while every UDP packet on loopback is delayed by `delayMs` (+ up to `jitterMs`) and
 * lost with `lossPercent` % — each way, since each packet crosses loopback once (a round trip
 * pays the delay twice). Resolves with `fn`'s result and the delayer's counts.
 */
export async function withNetwork(network, fn) {
  if (process.env.INSTANT_SHARE_NETNS !== '1') {
    throw new Error('the network fault harness impairs loopback: run inside scripts/netem.sh (a network namespace of its own)');
  }
  if (!network.delayMs && !network.jitterMs && !network.lossPercent) return { result: await fn(), counts: null };
  // At a real-time priority: on a busy machine a normal process can wait tens of milliseconds
  // to run, and every packet it holds would wait with it.
  const delayer = spawn('chrt', ['-f', '10', bin(), 'delay', '--queue', `0=${describe(network)}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: delayer.stdout });
  const events = [];
  const ready = new Promise((resolve, reject) => {
    delayer.once('exit', (code) => reject(new Error(`the delayer exited (${code}) before it was ready`)));
    lines.on('line', (line) => {
      const event = JSON.parse(line);
      events.push(event);
      if (event.event === 'ready') resolve();
    });
  });
  const exited = new Promise((resolve) => delayer.once('exit', resolve));
  await ready;
  const rule = ['OUTPUT', '-o', 'lo', '-p', 'udp', '-m', 'comment', '--comment', TAG, '-j', 'NFQUEUE', '--queue-num', '0'];
  let result;
  try {
    for (const tool of ['iptables', 'ip6tables']) await run(tool, ['-I', ...rule]);
    result = await fn();
  } finally {
    // Rules first: a queue nobody reads drops what enters it.
    for (const tool of ['iptables', 'ip6tables']) await run(tool, ['-D', ...rule]).catch(() => {});
    delayer.kill('SIGTERM');
    await exited;
  }
  return { result, counts: events.find((e) => e.event === 'counts') ?? null };
}
