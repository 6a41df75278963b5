// The calls of one session page: one PeerCall per other participant, started, replaced and
// answered by the rules in docs/CONTRACT.md ("Calls"), which the native peer follows too:
//
// 1. Of two participants, the one who joined earlier (earlier in `snapshot.participants`) offers.
// 2. The offerer calls once the session is active, its own socket is welcomed and the other is
//    online; and again (new call_id, new connection) when its own socket is welcomed again or
//    the other comes back online while the call is not up, and ~1 s after ICE fails.
// 2a. A call whose path goes quiet (disconnected) restarts ICE on the same connection: the
//    offerer offers again with the same call_id; the answerer asks it to with `restart`.
// 3. Every offer has three sendrecv m-sections: microphone, camera, screen (peer.svelte.ts).
// 4. Trickle ICE; a signal for another call_id than the current one is ignored, except an offer,
//    which replaces the call. An offer with the current call_id renegotiates it (ICE restart).
// 5. `set_media` goes out whenever camera, microphone (muted = off) or screen change.
import { SvelteMap } from 'svelte/reactivity';
import type { Participant } from '../../generated/protocol';
import type { SessionConnection, SessionEvent } from '../session.svelte';
import type { LocalMedia } from './local.svelte';
import { PeerCall, type SlotTracks } from './peer.svelte';
import { probe, type ProbeSource } from './probe';
import { sameMedia, type MediaState, type Signal } from './wire';

/** How long after ICE fails the offerer calls again. */
const RETRY_AFTER_FAILURE_MS = 1000;
/** An ICE restart is not begun again sooner than this after the last. */
const RESTART_GAP_MS = 1000;
const STATS_EVERY_MS = 1000;

export class Calls {
  /** The current call with each other participant, by participant id. */
  readonly peers = new SvelteMap<string, PeerCall>();

  #conn: SessionConnection;
  #local: LocalMedia;
  /** Participants whose call the offerer (this page) should start anew when it can. */
  #due = new Set<string>();
  #known = new Set<string>();
  #online = new Map<string, boolean>();
  #retries = new Map<string, ReturnType<typeof setTimeout>>();
  /** `set_media` sent on this socket and not yet echoed. */
  #mediaSent: MediaState | null = null;
  #stopped = true;
  #cleanups: Array<() => void> = [];

  constructor(conn: SessionConnection, local: LocalMedia) {
    this.#conn = conn;
    this.#local = local;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const onPageHide = () => this.#hangUpAll();
    window.addEventListener('pagehide', onPageHide);
    const stats = setInterval(() => this.#sampleStats(), STATS_EVERY_MS);
    this.#cleanups.push(
      this.#conn.listen((e) => this.#onSession(e)),
      this.#local.listen(() => this.#onLocal()),
      probe.attach(this.#probeSource()),
      () => window.removeEventListener('pagehide', onPageHide),
      () => clearInterval(stats),
    );
    if (this.#conn.connection === 'connected') this.#onSession({ kind: 'welcome', resumed: false });
  }

  /** Hangs up every call (leaving the page or the session view). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#hangUpAll();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
  }

  /** Whether this page sends the offer to `remoteId` (it joined earlier). */
  isOfferer(remoteId: string): boolean {
    const s = this.#conn.snapshot;
    if (!s) return false;
    const ids = s.participants.map((p) => p.id);
    const [me, other] = [ids.indexOf(s.you), ids.indexOf(remoteId)];
    return me >= 0 && other >= 0 && me < other;
  }

  #onSession(e: SessionEvent): void {
    if (this.#stopped) return;
    if (this.#conn.out) {
      // Out of the session (removed, left, handed over, refused): every call and the camera
      // and microphone stop at once.
      this.stop();
      this.#local.stop();
      return;
    }
    switch (e.kind) {
      case 'welcome':
        // A (re)connected socket: every call this page offers that is not up starts anew (its
        // signals may be lost), and the host's view of this page's media (reset while it was
        // away) is brought up to date. A call that is up goes on: media flows peer to peer.
        this.#mediaSent = null;
        for (const p of this.#others()) {
          const call = this.peers.get(p.id);
          if (call?.phase === 'connected' && !call.restarting) continue;
          if (call && call.connectedAt !== null && call.phase !== 'closed' && call.phase !== 'failed') {
            // Came up once and is down, or its restart offer may be lost: ICE restarts.
            if (call.offerer) void call.restart().catch((error: unknown) => console.error('ICE restart failed', error));
            else call.askForRestart();
          } else this.#due.add(p.id);
        }
        this.#syncMedia();
        this.#reconcile();
        break;
      case 'event':
        if ((e.msg.type === 'media' || e.msg.type === 'presence') && e.msg.participant_id === this.#conn.snapshot?.you) {
          if (e.msg.type === 'media' && this.#mediaSent && sameMedia(e.msg.media, this.#mediaSent)) this.#mediaSent = null;
          this.#syncMedia();
        }
        this.#reconcile();
        break;
      case 'signal':
        void this.#onSignal(e.from, e.signal).catch((error: unknown) => console.error('signal failed', e.signal.kind, error));
        break;
      case 'error':
      case 'connection':
        // participant_offline: the other side is away; their return (online) calls again.
        break;
    }
  }

  /** Starts the calls that are due and allowed; closes everything once the session ended. */
  #reconcile(): void {
    const s = this.#conn.snapshot;
    if (!s) return;
    if (s.status === 'ended') {
      for (const call of this.peers.values()) call.close(false);
      this.peers.clear();
      this.#local.stop();
      return;
    }
    // Someone who left (removed, handed over, gone) is hung up on; no call starts with them.
    const present = new Set(this.#others().map((p) => p.id));
    for (const [id, call] of this.peers) {
      if (!present.has(id)) {
        call.close(false);
        this.peers.delete(id);
      }
    }
    for (const p of this.#others()) {
      if (!this.#known.has(p.id)) {
        this.#known.add(p.id);
        this.#due.add(p.id);
      }
      if (this.#online.get(p.id) === false && p.online && this.peers.get(p.id)?.phase !== 'connected') this.#due.add(p.id);
      this.#online.set(p.id, p.online);
      const ready = s.status === 'active' && this.#conn.connection === 'connected' && p.online;
      if (ready && this.#due.has(p.id) && this.isOfferer(p.id)) {
        this.#due.delete(p.id);
        void this.#call(p.id);
      }
    }
  }

  async #call(remoteId: string): Promise<void> {
    this.peers.get(remoteId)?.close(false);
    const call = this.#newCall(remoteId, newCallId(), true);
    try {
      await call.offer();
    } catch (error) {
      console.error('could not make an offer', error);
      call.close(false);
    }
  }

  async #onSignal(from: string, signal: Signal): Promise<void> {
    const current = this.peers.get(from);
    switch (signal.kind) {
      case 'offer': {
        if (current?.callId === signal.call_id) {
          // The offerer restarts ICE on this call.
          try {
            await current.renegotiate(signal.sdp);
          } catch (error) {
            console.error('could not answer an ICE restart', error);
            current.close(true);
            this.peers.delete(from);
          }
          return;
        }
        if (this.isOfferer(from)) {
          console.warn(`ignoring an offer from ${from}: this side joined first and offers`);
          return;
        }
        current?.close(false);
        const call = this.#newCall(from, signal.call_id, false);
        try {
          await call.answer(signal.sdp);
        } catch (error) {
          console.error('could not answer the offer', error);
          call.close(true);
        }
        return;
      }
      case 'answer':
        if (current?.callId !== signal.call_id) return;
        try {
          await current.accept(signal.sdp);
        } catch (error) {
          // An answer from another connection (the other side started over): a new call.
          console.warn('the answer was refused: calling anew', error);
          current.close(false);
          this.#due.add(from);
          this.#reconcile();
        }
        return;
      case 'restart':
        // While a restart of this page waits for its answer, this sends its offer again.
        if (current?.callId === signal.call_id && current.offerer) await current.restart();
        return;
      case 'candidate':
        if (current?.callId === signal.call_id) await current.candidate(signal);
        return;
      case 'hangup':
        if (current?.callId === signal.call_id) {
          // The other side could not take this page's ICE restart: a new call. Any other
          // hang-up stands until a rule 2 event.
          const again = current.offerer && current.restarting;
          current.close(false);
          this.peers.delete(from);
          if (again) {
            this.#due.add(from);
            this.#reconcile();
          }
        }
        return;
    }
  }

  #newCall(remoteId: string, callId: string, offerer: boolean): PeerCall {
    const call = new PeerCall({
      remoteId,
      callId,
      offerer,
      iceServers: this.#conn.iceServers,
      send: (signal) => {
        this.#conn.send({ type: 'signal', to: remoteId, signal });
      },
      tracks: () => this.#tracks(),
      onPhase: (c) => this.#onPhase(c),
    });
    this.peers.set(remoteId, call);
    return call;
  }

  #onPhase(call: PeerCall): void {
    if (this.#stopped || this.peers.get(call.remoteId) !== call) return;
    if (call.phase === 'reconnecting' && !recentlyRestarted(call)) {
      // Nothing heard from the other side for a while: ICE restarts on the same connection.
      if (call.offerer) void call.restart().catch((error: unknown) => console.error('ICE restart failed', error));
      else call.askForRestart();
    }
    if (call.phase === 'failed' && call.offerer && !this.#retries.has(call.remoteId)) {
      const timer = setTimeout(() => {
        this.#retries.delete(call.remoteId);
        if (this.peers.get(call.remoteId) !== call || call.phase !== 'failed') return;
        this.#due.add(call.remoteId);
        this.#reconcile();
      }, RETRY_AFTER_FAILURE_MS);
      this.#retries.set(call.remoteId, timer);
    }
  }

  #onLocal(): void {
    if (this.#stopped) return;
    const tracks = this.#tracks();
    for (const call of this.peers.values()) {
      void call.setTracks(tracks).catch((error: unknown) => console.error('replaceTrack failed', error));
    }
    this.#syncMedia();
  }

  /** Tells the host what this page sends, unless it knows already or was just told. */
  #syncMedia(): void {
    const s = this.#conn.snapshot;
    const me = s?.participants.find((p) => p.id === s.you);
    const now = this.#local.media;
    if (!s || !me || s.status === 'ended') return;
    if (sameMedia(me.media, now) || (this.#mediaSent && sameMedia(this.#mediaSent, now))) return;
    if (this.#conn.send({ type: 'set_media', media: now })) this.#mediaSent = now;
  }

  #tracks(): SlotTracks {
    const live = (t: MediaStreamTrack | null) => (t && t.readyState === 'live' ? t : null);
    return [live(this.#local.microphone), live(this.#local.camera), live(this.#local.screen)];
  }

  /** The others still in the session. */
  #others(): Participant[] {
    const s = this.#conn.snapshot;
    return s ? s.participants.filter((p) => p.id !== s.you && !p.left) : [];
  }

  #hangUpAll(): void {
    for (const call of this.peers.values()) call.close(true);
    this.peers.clear();
  }

  #sampleStats(): void {
    for (const call of this.peers.values()) {
      void call.sampleStats().catch(() => {
        // A connection closing under getStats: the next second has the next call's.
      });
    }
  }

  #probeSource(): ProbeSource {
    return {
      remoteAudio: (id) => this.peers.get(id)?.remote.microphone ?? null,
      stats: () => Object.fromEntries([...this.peers].map(([id, call]) => [id, call.stats])),
      callState: () => {
        const state: Record<string, unknown> = {};
        for (const p of this.#others()) {
          const call = this.peers.get(p.id);
          state[p.id] = {
            name: p.display_name,
            role: p.role,
            online: p.online,
            media: { ...p.media },
            offerer: this.isOfferer(p.id),
            callId: call?.callId ?? null,
            phase: call?.phase ?? 'idle',
            connection: call?.connectionState ?? null,
            ice: call?.iceState ?? null,
            startedAt: call?.startedAt ?? null,
            connectedAt: call?.connectedAt ?? null,
            mids: call?.mids ?? [],
          };
        }
        return state;
      },
      local: () => ({ ...this.#local.media, started: this.#local.started, muted: this.#local.micMuted }),
    };
  }
}

/** A random call id (16 hex digits). */
function newCallId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function recentlyRestarted(call: PeerCall): boolean {
  return call.restartedAt !== null && Date.now() - call.restartedAt < RESTART_GAP_MS;
}
