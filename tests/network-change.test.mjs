// A network change mid-call: each side in turn moves from one network to another (its "Wi-Fi"
// address goes away after its "cable" came up, as a laptop docked at a desk), and the call goes
// on through an ICE restart on the same connection, not a new call, in under 1.5 s.
//
// Two native peers (crates/peer), each in a network namespace of its own, joined to this one by
// two veth links; the host listens here. Run as root in a network namespace of its own, so that
// nothing here touches the machine's network (the test command does this):
//
//   unshare --net -- env INSTANT_SHARE_NETNS=1 node --test tests/network-change.test.mjs
//   scripts/netem.sh -- node --test tests/network-change.test.mjs     (the same, via the harness)
//
// Prints the figures (the gap in frames each way, from the old address going away to the first
// frame after) that BENCHMARKS.md quotes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { Host } from './lib/host.mjs';
import { Peer } from './lib/peer.mjs';
import { launchChromium, recordPageErrors, tid } from './lib/browser.mjs';
import { media, remote, connected } from './lib/media.mjs';

const expert = { username: 'mover', displayName: 'Moving Expert', password: 'a password for moving' };
const skip = process.env.INSTANT_SHARE_NETNS === '1' ? false : 'needs a network namespace of its own, as root: unshare --net -- env INSTANT_SHARE_NETNS=1 node --test tests/network-change.test.mjs';
/** The recovery the issue asks for: old address gone → frames again, each way. */
const LIMIT_MS = 1500;

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/**
 * A side that can move: namespace `name`, reached from here over `wifi` (10.9.N.0/24) and later
 * over `cable` (10.9.N+1.0/24).
 */
class Side {
  constructor(name, net) {
    this.ns = `is-${name}-${process.pid}`;
    this.wifi = { here: `10.9.${net}.1`, there: `10.9.${net}.2`, link: `w${name}` };
    this.cable = { here: `10.9.${net + 1}.1`, there: `10.9.${net + 1}.2`, link: `c${name}` };
  }

  create() {
    ip('netns', 'add', this.ns);
    this.exec('ip', 'link', 'set', 'lo', 'up');
    for (const net of [this.wifi, this.cable]) {
      ip('link', 'add', `${net.link}0`, 'type', 'veth', 'peer', 'name', `${net.link}1`, 'netns', this.ns);
      ip('addr', 'add', `${net.here}/24`, 'dev', `${net.link}0`);
      ip('link', 'set', `${net.link}0`, 'up');
    }
    // On Wi-Fi only, to begin with.
    this.exec('ip', 'addr', 'add', `${this.wifi.there}/24`, 'dev', `${this.wifi.link}1`);
    this.exec('ip', 'link', 'set', `${this.wifi.link}1`, 'up');
    this.exec('ip', 'route', 'add', 'default', 'via', this.wifi.here);
  }

  /**
   * The move: the cable comes up with its own address and route, then the Wi-Fi address goes.
   * Returns when the old address went (Unix ms).
   */
  move() {
    const c = this.cable;
    this.exec('ip', 'link', 'set', `${c.link}1`, 'up');
    this.exec('ip', 'addr', 'add', `${c.there}/24`, 'dev', `${c.link}1`);
    this.exec('ip', 'route', 'replace', 'default', 'via', c.here);
    const gone = Date.now();
    this.exec('ip', 'addr', 'flush', 'dev', `${this.wifi.link}1`);
    this.exec('ip', 'link', 'set', `${this.wifi.link}1`, 'down');
    return gone;
  }

  exec(...command) {
    return ip('netns', 'exec', this.ns, ...command);
  }

  /** Starts processes in the namespace (for Peer.start's `run`). */
  run = (command, args, options) => spawn('ip', ['netns', 'exec', this.ns, command, ...args], options);

  destroy() {
    try {
      ip('netns', 'del', this.ns);
    } catch {
      // Already gone.
    }
  }
}

/** How long after one move the next one comes (ms). */
const BETWEEN_MOVES_MS = 4000;

/**
 * The longest pause in the `received` frames ({at}, Unix ms) from a second before the old address
 * went (`gone`) to just before the next move: `ms` from `gone` to the first frame after the pause, the
 * pause itself, and the stamps on either side.
 */
function recovery(received, gone) {
  const near = received.filter((r) => r.at > gone - 1000 && r.at < gone + BETWEEN_MOVES_MS - 200);
  let worst;
  for (let i = 1; i < near.length; i++) {
    const pause = near[i].at - near[i - 1].at;
    if (!worst || pause > worst.pause) worst = { pause, from: near[i - 1], to: near[i] };
  }
  return worst ? { ms: worst.to.at - gone, ...worst } : { ms: Infinity, pause: Infinity };
}

/** The lines of a peer's log (colours taken out) that match `pattern`. */
const lines = (peer, pattern) => peer.log.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '')).filter((l) => pattern.test(l));

test('a call survives each side moving to another network, by an ICE restart in under 1.5 s', { skip, timeout: 120_000 }, async () => {
  ip('link', 'set', 'lo', 'up');
  execFileSync('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  const requesterSide = new Side('a', 1);
  const expertSide = new Side('b', 3);
  const host = new Host({ name: 'host-network-change', listen: `${requesterSide.wifi.here}:0` });
  const peers = [];
  try {
    requesterSide.create();
    expertSide.create();
    await host.addExpert(expert);
    await host.start();

    const common = ['--host', host.url, '--udp', '0.0.0.0:0', '--duration-secs', '14'];
    const e = await Peer.start('expert', ['--username', expert.username, ...common], { stdin: `${expert.password}\n`, run: expertSide.run });
    peers.push(e);
    await e.event('ready');
    const code = await host.enrolmentCode('Moving laptop');
    const r = await Peer.start('requester', ['--enrolment-code', code, ...common], { run: requesterSide.run });
    peers.push(r);
    const [rFirst, eFirst] = await Promise.all([r.event('first_frame', () => true, 30_000), e.event('first_frame', () => true, 30_000)]);
    await delay(2000);

    // The requester (who offers) moves, then the expert (who answers).
    const moves = [];
    for (const [who, side] of [['requester', requesterSide], ['expert', expertSide]]) {
      const gone = side.move();
      await delay(BETWEEN_MOVES_MS);
      moves.push({ who, gone });
    }
    await Promise.all([r.finished(30_000), e.finished(30_000)]);

    const toExpert = await e.stamps(`received-${eFirst.from}-camera.csv`);
    const toRequester = await r.stamps(`received-${rFirst.from}-camera.csv`);
    const figures = [];
    for (const { who, gone } of moves) {
      for (const [way, received] of [['requester → expert', toExpert], ['expert → requester', toRequester]]) {
        const gap = recovery(received, gone);
        figures.push({ moved: who, way, ms: gap.ms, pause: gap.pause, stamps: [gap.from?.stamp, gap.to?.stamp] });
      }
    }
    console.log('recovery after a move (old address gone → first frame after the longest pause):');
    for (const f of figures) console.log(`  ${f.moved} moved, ${f.way}: ${f.ms.toFixed(0)} ms (pause ${f.pause.toFixed(0)} ms, frames ${f.stamps.join(' → ')})`);

    const log = (p) => `\n--- ${p.role} log ---\n${p.log.slice(-40).join('\n')}`;
    // One call from start to end: offered once, answered once, restarted on each move.
    assert.equal(lines(r, /instant_share_media::peer: calling remote=/).length, 1, `one call offered${log(r)}`);
    assert.equal(lines(e, /instant_share_media::peer: answering from=/).length, 1, `one call answered${log(e)}`);
    assert.ok(lines(r, /restarting ICE/).length >= 2, `ICE restarted on each move${log(r)}`);
    assert.ok(lines(e, /asking for an ICE restart/).length >= 1, `the expert asked for a restart after its move${log(e)}`);
    assert.ok(r.events.some((x) => x.event === 'network_changed') && e.events.some((x) => x.event === 'network_changed'), 'each side saw its network change');
    for (const f of figures) {
      assert.ok(f.stamps[1] !== undefined, `frames came again (${f.moved} moved, ${f.way})${log(r)}${log(e)}`);
      assert.ok(f.ms < LIMIT_MS, `${f.moved} moved, ${f.way}: ${f.ms.toFixed(0)} ms without frames (limit ${LIMIT_MS})${log(r)}${log(e)}`);
    }
  } finally {
    for (const p of peers) p.stop();
    await host.stop();
    requesterSide.destroy();
    expertSide.destroy();
  }
});

test('the Chromium console answers the ICE restart of a native requester that moved, in under 1.5 s', { skip, timeout: 120_000 }, async () => {
  ip('link', 'set', 'lo', 'up');
  execFileSync('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  const requesterSide = new Side('c', 5);
  const host = new Host({ name: 'host-network-change-chromium', listen: `${requesterSide.wifi.here}:0` });
  let browser;
  let peer;
  const errors = [];
  try {
    requesterSide.create();
    await host.addExpert(expert);
    await host.start();
    browser = await launchChromium();
    const context = await browser.newContext();
    const page = await context.newPage();
    recordPageErrors(page, 'console', errors);
    await page.goto(`${host.url}/console?media=synthetic`);
    await page.locator(tid('login-username')).fill(expert.username);
    await page.locator(tid('login-password')).fill(expert.password);
    await page.locator(tid('login-submit')).click();
    await page.locator(tid('availability-toggle')).click();

    const code = await host.enrolmentCode('Moving laptop');
    peer = await Peer.start('requester', ['--host', host.url, '--enrolment-code', code, '--udp', '0.0.0.0:0', '--duration-secs', '10'], { run: requesterSide.run });
    await peer.event('shared');
    await page.locator(tid('offer-accept')).click({ timeout: 15_000 });
    const before = await connected(page, 'the expert');
    const first = await peer.event('first_frame', () => true, 30_000);
    await delay(2000);

    const gone = requesterSide.move();
    await delay(BETWEEN_MOVES_MS);
    const after = await remote(page);
    const toExpert = await media(page, 'received', before.id, 'camera');
    await peer.finished(30_000);
    const toRequester = await peer.stamps(`received-${first.from}-camera.csv`);

    const figures = [['requester → expert (Chromium)', toExpert], ['expert (Chromium) → requester', toRequester]].map(([way, received]) => ({ way, ...recovery(received, gone) }));
    console.log('recovery after the native requester moved (old address gone → first frame after the longest pause):');
    for (const f of figures) console.log(`  ${f.way}: ${f.ms.toFixed(0)} ms (pause ${f.pause.toFixed(0)} ms)`);

    if (process.env.SHOW_LOG) console.log(peer.log.join("\n"));
    const log = `\n--- requester log ---\n${peer.log.slice(-30).join('\n')}\npage errors: ${errors.join('; ')}`;
    assert.equal(after.callId, before.callId, `the console kept the call${log}`);
    assert.equal(after.phase, 'connected', `the console's call is up again${log}`);
    assert.equal(lines(peer, /instant_share_media::peer: calling remote=/).length, 1, `one call offered${log}`);
    assert.ok(lines(peer, /restarting ICE/).length >= 1, `ICE restarted${log}`);
    for (const f of figures) assert.ok(f.ms < LIMIT_MS, `${f.way}: ${f.ms.toFixed(0)} ms without frames (limit ${LIMIT_MS})${log}`);
  } finally {
    peer?.stop();
    await browser?.close();
    await host.stop();
    requesterSide.destroy();
  }
});
