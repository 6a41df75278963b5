// One call with one other participant: an RTCPeerConnection set up the way every call of ours
// is (docs/CONTRACT.md, "Calls"): three sendrecv m-sections in a fixed order (microphone,
// camera, screen) whose senders change track with replaceTrack, never by renegotiating; trickle
// ICE both ways with early candidates held back; tracks mapped by m-section, not by ids.
import { SLOTS, StatsSampler, type CallStats, type Slot } from './stats';
import type { IceServer, Signal } from './wire';

/** Where a call is. `failed`: ICE gave up (the offerer calls again); `closed`: hung up. */
export type CallPhase = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/** The local tracks in slot order; `null` sends nothing in that m-section. */
export type SlotTracks = [MediaStreamTrack | null, MediaStreamTrack | null, MediaStreamTrack | null];

export interface PeerOptions {
  remoteId: string;
  callId: string;
  offerer: boolean;
  iceServers: IceServer[];
  /** Hands a signal to the session socket for the other participant. */
  send: (signal: Signal) => void;
  tracks: () => SlotTracks;
  /** The phase changed. */
  onPhase: (call: PeerCall) => void;
}

const KINDS: ReadonlyArray<'audio' | 'video'> = ['audio', 'video', 'video'];

export class PeerCall {
  readonly remoteId: string;
  readonly callId: string;
  readonly offerer: boolean;
  /** When this call started (Unix ms). */
  readonly startedAt = Date.now();
  phase = $state<CallPhase>('connecting');
  /** When ICE and DTLS first came up (Unix ms). */
  connectedAt = $state<number | null>(null);
  /** The other participant's media, one stream per slot (the receivers' tracks). */
  remote = $state.raw<Record<Slot, MediaStream | null>>({ microphone: null, camera: null, screen: null });
  stats = $state.raw<CallStats | null>(null);

  #opts: PeerOptions;
  #pc: RTCPeerConnection;
  #transceivers: RTCRtpTransceiver[] = [];
  #remoteSet = false;
  /** The offer of this page that waits for its answer: sent again, never replaced, until
   * answered (an answer cannot say which of two offers it answers). */
  #pendingOffer: string | null = null;
  /** The other side's DTLS certificate fingerprint, from its first description. */
  #remoteFingerprint: string | null = null;
  /** When the last ICE restart (offered, answered or asked for) began (Unix ms). */
  restartedAt: number | null = null;
  #early: RTCIceCandidateInit[] = [];
  #described = false;
  #unsent: Signal[] = [];
  #endSent = false;
  #sampler = new StatsSampler();

  constructor(opts: PeerOptions) {
    this.#opts = opts;
    this.remoteId = opts.remoteId;
    this.callId = opts.callId;
    this.offerer = opts.offerer;
    this.#pc = new RTCPeerConnection({
      iceServers: opts.iceServers.map((s) => ({
        urls: s.urls,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
      })),
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    this.#pc.addEventListener('icecandidate', (e) => this.#localCandidate(e.candidate));
    this.#pc.addEventListener('connectionstatechange', () => this.#onState());
  }

  /** The offerer's start: three transceivers in order, then the offer. */
  async offer(): Promise<void> {
    this.#transceivers = KINDS.map((kind) => this.#pc.addTransceiver(kind, { direction: 'sendrecv' }));
    this.#prepare();
    await this.setTracks(this.#opts.tracks());
    await this.#pc.setLocalDescription(await this.#pc.createOffer());
    this.#pendingOffer = this.#pc.localDescription?.sdp ?? '';
    this.#describe({ kind: 'offer', call_id: this.callId, sdp: this.#pendingOffer });
  }

  /** Whether an ICE restart of this page waits for its answer. */
  get restarting(): boolean {
    return this.connectedAt !== null && this.#pendingOffer !== null;
  }

  /** The offerer's ICE restart: the same call and tracks, fresh ICE credentials and candidates;
   * or, while a restart offer waits for its answer, that offer again. */
  async restart(): Promise<void> {
    if (!this.offerer || this.phase === 'closed' || this.connectedAt === null) return;
    if (this.#pendingOffer !== null) {
      this.#opts.send({ kind: 'offer', call_id: this.callId, sdp: this.#pendingOffer });
      return;
    }
    this.restartedAt = Date.now();
    this.#endSent = false;
    this.#pc.restartIce();
    await this.#pc.setLocalDescription(await this.#pc.createOffer({ iceRestart: true }));
    this.#pendingOffer = this.#pc.localDescription?.sdp ?? '';
    this.#opts.send({ kind: 'offer', call_id: this.callId, sdp: this.#pendingOffer });
  }

  /** The answerer takes the offerer's new offer for this call (an ICE restart). */
  async renegotiate(sdp: string): Promise<void> {
    if (this.offerer || this.phase === 'closed') return;
    if (fingerprintOf(sdp) !== this.#remoteFingerprint) throw new Error('an offer from another connection (another DTLS certificate)');
    this.restartedAt = Date.now();
    this.#endSent = false;
    await this.#pc.setRemoteDescription({ type: 'offer', sdp });
    await this.#pc.setLocalDescription(await this.#pc.createAnswer());
    this.#opts.send({ kind: 'answer', call_id: this.callId, sdp: this.#pc.localDescription?.sdp ?? '' });
  }

  /** The answerer asks the offerer to restart ICE. */
  askForRestart(): void {
    if (this.offerer || this.phase === 'closed') return;
    this.restartedAt = Date.now();
    this.#opts.send({ kind: 'restart', call_id: this.callId });
  }

  /** The answerer's start: the offer's m-sections, in order, are slots 0, 1, 2. */
  async answer(sdp: string): Promise<void> {
    await this.#pc.setRemoteDescription({ type: 'offer', sdp });
    this.#remoteSet = true;
    this.#remoteFingerprint = fingerprintOf(sdp);
    const all = this.#pc.getTransceivers();
    this.#transceivers = midsInOrder(sdp)
      .slice(0, SLOTS.length)
      .map((mid) => all.find((t) => t.mid === mid))
      .filter((t): t is RTCRtpTransceiver => t !== undefined);
    for (const t of this.#transceivers) t.direction = 'sendrecv';
    this.#prepare();
    await this.setTracks(this.#opts.tracks());
    await this.#pc.setLocalDescription(await this.#pc.createAnswer());
    this.#describe({ kind: 'answer', call_id: this.callId, sdp: this.#pc.localDescription?.sdp ?? '' });
    await this.#addEarly();
  }

  /** The offerer gets the answer (to its first offer or to an ICE restart). */
  async accept(sdp: string): Promise<void> {
    if (!this.offerer || this.#pendingOffer === null || this.phase === 'closed') return;
    // Chromium would take another certificate as a DTLS restart; the rules call anew instead.
    if (this.#remoteFingerprint !== null && fingerprintOf(sdp) !== this.#remoteFingerprint) {
      throw new Error('answered from another connection (another DTLS certificate)');
    }
    this.#pendingOffer = null;
    await this.#pc.setRemoteDescription({ type: 'answer', sdp });
    this.#remoteSet = true;
    this.#remoteFingerprint = fingerprintOf(sdp);
    await this.#addEarly();
  }

  /** A remote candidate (empty: the other side has no more); held until the description is in. */
  async candidate(signal: Extract<Signal, { kind: 'candidate' }>): Promise<void> {
    const init: RTCIceCandidateInit = {
      candidate: signal.candidate,
      sdpMid: signal.sdp_mid ?? null,
      // A candidate naming neither belongs to the first (bundled) m-section.
      sdpMLineIndex: signal.sdp_m_line_index ?? (signal.sdp_mid === undefined ? 0 : null),
    };
    if (!this.#remoteSet) this.#early.push(init);
    else await this.#add(init);
  }

  /** Sends `tracks` in their slots (a track that stopped or `null` sends nothing). */
  async setTracks(tracks: SlotTracks): Promise<void> {
    await Promise.all(
      this.#transceivers.map(async (t, i) => {
        const track = tracks[i] ?? null;
        if (t.sender.track !== track && this.phase !== 'closed') await t.sender.replaceTrack(track);
      }),
    );
  }

  /** Takes the stats of the last second. */
  async sampleStats(): Promise<void> {
    if (this.phase === 'closed') return;
    const report = await this.#pc.getStats();
    this.stats = this.#sampler.sample(report, this.#transceivers.map((t) => t.mid), Date.now());
  }

  /** The mids of the slots, for diagnostics. */
  get mids(): Array<string | null> {
    return this.#transceivers.map((t) => t.mid);
  }

  get connectionState(): RTCPeerConnectionState {
    return this.#pc.connectionState;
  }

  get iceState(): RTCIceConnectionState {
    return this.#pc.iceConnectionState;
  }

  /** Ends the call; with `hangup`, tells the other side. */
  close(hangup: boolean): void {
    if (this.phase === 'closed') return;
    if (hangup) this.#opts.send({ kind: 'hangup', call_id: this.callId });
    this.phase = 'closed';
    this.#pc.close();
    this.#opts.onPhase(this);
  }

  /** Codec preferences (VP8 and Opus, as the native peer) and the remote streams. */
  #prepare(): void {
    const remote: Record<Slot, MediaStream | null> = { microphone: null, camera: null, screen: null };
    this.#transceivers.forEach((t, i) => {
      const slot = SLOTS[i];
      if (slot) remote[slot] = new MediaStream([t.receiver.track]);
      preferCodecs(t, KINDS[i] ?? 'video');
    });
    this.remote = remote;
  }

  /** Sends the offer or answer, then the candidates found meanwhile. */
  #describe(signal: Signal): void {
    this.#opts.send(signal);
    this.#described = true;
    for (const s of this.#unsent.splice(0)) this.#opts.send(s);
  }

  #localCandidate(c: RTCIceCandidate | null): void {
    if (this.phase === 'closed' || (c !== null && c.candidate === '')) return;
    if (c === null) {
      if (this.#endSent) return;
      this.#endSent = true;
    }
    const signal: Signal = {
      kind: 'candidate',
      call_id: this.callId,
      candidate: c?.candidate ?? '',
      ...(c?.sdpMid != null ? { sdp_mid: c.sdpMid } : {}),
      ...(c?.sdpMLineIndex != null ? { sdp_m_line_index: c.sdpMLineIndex } : {}),
    };
    if (this.#described) this.#opts.send(signal);
    else this.#unsent.push(signal);
  }

  async #addEarly(): Promise<void> {
    for (const init of this.#early.splice(0)) await this.#add(init);
  }

  async #add(init: RTCIceCandidateInit): Promise<void> {
    if (this.phase === 'closed') return;
    try {
      await this.#pc.addIceCandidate(init.candidate === '' ? undefined : init);
    } catch (e) {
      // A candidate the browser cannot use (another address family, a stale generation) is
      // not the call's end; ICE goes on with the others.
      console.warn('ICE candidate not added', init.candidate, e);
    }
  }

  #onState(): void {
    if (this.phase === 'closed') return;
    switch (this.#pc.connectionState) {
      case 'new':
      case 'connecting':
        if (this.phase !== 'reconnecting') this.phase = 'connecting';
        break;
      case 'connected':
        this.phase = 'connected';
        this.connectedAt ??= Date.now();
        break;
      case 'disconnected':
        this.phase = 'reconnecting';
        break;
      case 'failed':
        this.phase = 'failed';
        break;
      case 'closed':
        this.phase = 'closed';
        break;
    }
    this.#opts.onPhase(this);
  }
}

/** The `a=fingerprint:` of an SDP (session level or first m-section), lower case; `null` if none. */
export function fingerprintOf(sdp: string): string | null {
  return /\r?\na=fingerprint:([^\r\n]+)/.exec(sdp)?.[1]?.trim().toLowerCase() ?? null;
}

/** The `a=mid:` of each m-section of an SDP, in order (`null` for one without). */
export function midsInOrder(sdp: string): string[] {
  const mids: string[] = [];
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    const mid = /\r?\na=mid:(\S+)/.exec(section)?.[1];
    if (mid !== undefined) mids.push(mid);
  }
  return mids;
}

/** VP8 for video and Opus for audio (with RTX, RED, FEC as offered): what the native peer has. */
function preferCodecs(t: RTCRtpTransceiver, kind: 'audio' | 'video'): void {
  const capabilities = RTCRtpReceiver.getCapabilities?.(kind);
  if (!capabilities || typeof t.setCodecPreferences !== 'function') return;
  const main = kind === 'audio' ? 'audio/opus' : 'video/vp8';
  const helpers = new Set(['video/rtx', 'video/red', 'video/ulpfec', 'audio/red']);
  const codecs = capabilities.codecs.filter((c) => c.mimeType.toLowerCase() === main);
  const extra = capabilities.codecs.filter((c) => helpers.has(c.mimeType.toLowerCase()));
  if (codecs.length === 0) return;
  try {
    t.setCodecPreferences([...codecs, ...extra]);
  } catch {
    // The browser's own order then.
  }
}
