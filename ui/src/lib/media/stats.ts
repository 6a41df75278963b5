// A call's getStats() once a second, boiled down to what people and benchmarks look at: frame
// rate, bitrate, round trip, loss, jitter and freezes per stream, mapped to microphone, camera
// and screen by the stream's m-section (never by track or stream ids).

/** The three m-sections of every call, in order (docs/CONTRACT.md, "Calls"). */
export const SLOTS = ['microphone', 'camera', 'screen'] as const;
export type Slot = (typeof SLOTS)[number];

export interface InboundStats {
  kbps: number;
  /** Frames a second shown (video only). */
  fps: number | null;
  width: number | null;
  height: number | null;
  packetsLost: number;
  /** Lost in the last interval, in percent of the packets expected in it. */
  lossPct: number;
  jitterMs: number | null;
  /** How long a packet waits in the jitter buffer on average, in ms. */
  jitterBufferMs: number | null;
  freezes: number;
  freezeMs: number;
  framesDecoded: number | null;
  framesDropped: number | null;
  codec: string | null;
}

export interface OutboundStats {
  kbps: number;
  fps: number | null;
  width: number | null;
  height: number | null;
  /** Why the encoder holds back ("cpu", "bandwidth"), or null. */
  limitation: string | null;
  /** Encode time per frame in the last interval, in ms. */
  encodeMs: number | null;
  nacks: number;
  plis: number;
  codec: string | null;
}

export interface CallStats {
  /** When these were taken (Unix ms). */
  at: number;
  /** Round trip of ICE's connectivity checks on the selected pair. */
  rttMs: number | null;
  /** Round trip of the video's RTCP reports (the media's own path). */
  mediaRttMs: number | null;
  availableOutgoingKbps: number | null;
  /** The local candidate type in use: host, srflx, prflx or relay. */
  route: string | null;
  /** The SRTP protection profile the DTLS handshake chose (`SRTP_AES128_CM_HMAC_SHA1_80`, …). */
  srtpCipher: string | null;
  inbound: Partial<Record<Slot, InboundStats>>;
  outbound: Partial<Record<Slot, OutboundStats>>;
}

type Report = Record<string, unknown> & { id: string; type: string; timestamp: number };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Keeps the previous report to turn counters into rates. */
export class StatsSampler {
  #previous = new Map<string, Report>();

  /** Summarizes `report`; `mids[i]` is the mid of slot i. */
  sample(report: RTCStatsReport, mids: ReadonlyArray<string | null>, at: number): CallStats {
    const all = new Map<string, Report>();
    report.forEach((r: Report) => all.set(r.id, r));
    const slotOf = (mid: unknown) => {
      const i = typeof mid === 'string' ? mids.indexOf(mid) : -1;
      return i >= 0 ? SLOTS[i] : undefined;
    };
    const codecOf = (r: Report) => {
      const c = typeof r.codecId === 'string' ? all.get(r.codecId) : undefined;
      return typeof c?.mimeType === 'string' ? c.mimeType.replace(/^(audio|video)\//, '') : null;
    };
    const stats: CallStats = { at, rttMs: null, mediaRttMs: null, availableOutgoingKbps: null, route: null, srtpCipher: null, inbound: {}, outbound: {} };

    for (const r of all.values()) {
      const prev = this.#previous.get(r.id);
      const seconds = prev ? (r.timestamp - prev.timestamp) / 1000 : 0;
      const rate = (field: string) => {
        const [now, before] = [num(r[field]), num(prev?.[field])];
        return now !== null && before !== null && seconds > 0 ? (now - before) / seconds : 0;
      };
      const delta = (field: string) => (num(r[field]) ?? 0) - (num(prev?.[field]) ?? 0);
      if (r.type === 'inbound-rtp') {
        const slot = slotOf(r.mid);
        if (!slot) continue;
        const lost = prev ? delta('packetsLost') : 0;
        const received = prev ? delta('packetsReceived') : 0;
        const emitted = num(r.jitterBufferEmittedCount);
        stats.inbound[slot] = {
          kbps: (rate('bytesReceived') * 8) / 1000,
          fps: num(r.framesPerSecond),
          width: num(r.frameWidth),
          height: num(r.frameHeight),
          packetsLost: num(r.packetsLost) ?? 0,
          lossPct: lost + received > 0 ? (100 * Math.max(0, lost)) / (lost + received) : 0,
          jitterMs: num(r.jitter) !== null ? (num(r.jitter) ?? 0) * 1000 : null,
          jitterBufferMs: emitted ? ((num(r.jitterBufferDelay) ?? 0) / emitted) * 1000 : null,
          freezes: num(r.freezeCount) ?? 0,
          freezeMs: (num(r.totalFreezesDuration) ?? 0) * 1000,
          framesDecoded: num(r.framesDecoded),
          framesDropped: num(r.framesDropped),
          codec: codecOf(r),
        };
      } else if (r.type === 'outbound-rtp') {
        const slot = slotOf(r.mid);
        if (!slot) continue;
        const frames = prev ? delta('framesEncoded') : 0;
        stats.outbound[slot] = {
          kbps: (rate('bytesSent') * 8) / 1000,
          fps: num(r.framesPerSecond),
          width: num(r.frameWidth),
          height: num(r.frameHeight),
          limitation: typeof r.qualityLimitationReason === 'string' && r.qualityLimitationReason !== 'none' ? r.qualityLimitationReason : null,
          encodeMs: frames > 0 ? (delta('totalEncodeTime') / frames) * 1000 : null,
          nacks: num(r.nackCount) ?? 0,
          plis: num(r.pliCount) ?? 0,
          codec: codecOf(r),
        };
      } else if (r.type === 'remote-inbound-rtp' && r.kind === 'video') {
        // The round trip of the media itself (RTCP reports), which a network emulated inside
        // WebRTC delays while ICE's checks are not.
        const rtt = num(r.roundTripTime);
        if (rtt !== null) stats.mediaRttMs = Math.max(stats.mediaRttMs ?? 0, rtt * 1000);
      } else if (r.type === 'transport' && typeof r.selectedCandidatePairId === 'string') {
        stats.srtpCipher = typeof r.srtpCipher === 'string' ? r.srtpCipher : null;
        const pair = all.get(r.selectedCandidatePairId);
        if (pair) {
          const rtt = num(pair.currentRoundTripTime);
          stats.rttMs = rtt !== null ? rtt * 1000 : null;
          const out = num(pair.availableOutgoingBitrate);
          stats.availableOutgoingKbps = out !== null ? out / 1000 : null;
          const local = typeof pair.localCandidateId === 'string' ? all.get(pair.localCandidateId) : undefined;
          stats.route = typeof local?.candidateType === 'string' ? local.candidateType : null;
        }
      }
    }
    this.#previous = all;
    return stats;
  }
}
