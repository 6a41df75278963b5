//! Remote tracks: RTP in, frames and sound out. Video is reassembled here (see
//! [`super::assembler`]) and decoded on a thread of its own; audio is decoded on another and
//! played (or written) through an [`crate::capture::AudioOutput`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::{
    nack_pairs_from_sequence_numbers, TransportLayerNack,
};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::assembler::{Assembled, Vp8Assembler};
use super::nack::NackList;
use super::stats::RecvCounters;
use super::{EventSink, MediaEvent, TrackKind};
use crate::capture::AudioOutput;
use crate::opus::OpusDecoder;
use crate::vp8::Vp8Decoder;

/// Frames held for the decoder at most. A lost packet holds back every frame after it until its
/// retransmission comes, a round trip later, and then they all come at once: the queue must take
/// the longest loss wait's worth (2 s at 30 fps), or a recovered loss on a long path would
/// overflow it and cost a keyframe after all.
const DECODE_QUEUE: usize = 64;

/// How often the assembler and the NACK list are looked at without new packets (to ask for lost
/// ones again, or give them up).
const TICK: Duration = super::nack::MIN_RESEND;

/// Receives one remote video track until it ends.
pub(crate) async fn video(
    remote: String,
    kind: TrackKind,
    track: Arc<dyn TrackRemote>,
    events: EventSink,
    counters: Arc<RecvCounters>,
) {
    let media_ssrc = track.ssrcs().await.first().copied().unwrap_or(0);
    let (frames_tx, frames_rx) = sync_channel::<(Vec<u8>, bool)>(DECODE_QUEUE);
    let decoder_needs_keyframe = Arc::new(AtomicBool::new(false));
    {
        let remote = remote.clone();
        let counters = counters.clone();
        let needs = decoder_needs_keyframe.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("vp8-decode-{}", kind.name()))
            .spawn(move || decode_video(remote, kind, frames_rx, events, counters, needs));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "no decoder thread");
            return;
        }
    }
    let mut assembler = Vp8Assembler::new();
    let mut nacks = NackList::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let now = tokio::select! {
            event = track.poll() => {
                match event {
                    Some(TrackRemoteEvent::OnRtpPacket(packet)) => {
                        let now = Instant::now();
                        counters.bytes.fetch_add(packet.payload.len() as u64, Ordering::Relaxed);
                        counters.record_arrival(now, packet.header.timestamp, 90_000);
                        nacks.received(now, packet.header.sequence_number);
                        if let Err(e) = assembler.push(
                            now,
                            packet.header.sequence_number,
                            packet.header.timestamp,
                            packet.header.marker,
                            &packet.payload,
                        ) {
                            tracing::debug!(error = %e, "a video packet was not VP8");
                        }
                        now
                    }
                    Some(TrackRemoteEvent::OnEnded) | Some(TrackRemoteEvent::OnError) | None => break,
                    Some(_) => continue,
                }
            }
            _ = tick.tick() => Instant::now(),
        };
        // After an ICE restart what was sent while the path was down is gone for good: ask
        // for a keyframe, not for those packets.
        let restarted = counters.keyframe_wanted.swap(false, Ordering::Relaxed);
        if restarted {
            nacks.clear_missing();
        }
        assembler.set_round_trip(nacks.round_trip());
        let lost = nacks.due(now, assembler.loss_wait());
        if !lost.is_empty() {
            counters
                .nacks
                .fetch_add(lost.len() as u64, Ordering::Relaxed);
            let nack = TransportLayerNack {
                sender_ssrc: 0,
                media_ssrc,
                nacks: nack_pairs_from_sequence_numbers(&lost),
            };
            if let Err(e) = track.write_rtcp(vec![Box::new(nack)]).await {
                tracing::debug!(error = %e, "a NACK could not be sent");
            }
        }
        let mut want_keyframe = decoder_needs_keyframe.swap(false, Ordering::Relaxed) | restarted;
        while let Some(out) = assembler.poll(now) {
            match out {
                Assembled::Frame { data, keyframe, .. } => {
                    if keyframe {
                        counters.keyframes.fetch_add(1, Ordering::Relaxed);
                    }
                    match frames_tx.try_send((data, keyframe)) {
                        Ok(()) => {}
                        Err(TrySendError::Full(_)) => {
                            // The decoder fell behind; what it skips breaks the chain.
                            want_keyframe = true;
                        }
                        Err(TrySendError::Disconnected(_)) => return,
                    }
                }
                Assembled::RequestKeyframe => want_keyframe = true,
            }
        }
        counters
            .frames_lost
            .store(assembler.frames_lost, Ordering::Relaxed);
        if want_keyframe {
            counters.keyframe_requests.fetch_add(1, Ordering::Relaxed);
            let pli = PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc,
            };
            if let Err(e) = track.write_rtcp(vec![Box::new(pli)]).await {
                tracing::debug!(error = %e, "a keyframe request could not be sent");
            }
        }
    }
    tracing::debug!(remote, track = kind.name(), "remote video ended");
}

fn decode_video(
    remote: String,
    kind: TrackKind,
    frames: std::sync::mpsc::Receiver<(Vec<u8>, bool)>,
    events: EventSink,
    counters: Arc<RecvCounters>,
    needs_keyframe: Arc<AtomicBool>,
) {
    let mut decoder = match Vp8Decoder::new() {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "no VP8 decoder");
            return;
        }
    };
    let mut broken = false;
    while let Ok((data, keyframe)) = frames.recv() {
        if broken && !keyframe {
            continue;
        }
        let started = Instant::now();
        match decoder.decode(&data) {
            Ok(pictures) => {
                broken = false;
                let done = Instant::now();
                for picture in pictures {
                    counters.record_decoded(done, done.duration_since(started));
                    events.video(MediaEvent::Video {
                        from: remote.clone(),
                        kind,
                        frame: Arc::new(picture),
                        decoded_at: done,
                        decoded_unix_micros: unix_micros(),
                    });
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "a frame did not decode; asking for a keyframe");
                broken = true;
                needs_keyframe.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// Receives one remote audio track until it ends, into `output`.
pub(crate) async fn audio(
    remote: String,
    track: Arc<dyn TrackRemote>,
    output: AudioOutput,
    counters: Arc<RecvCounters>,
) {
    let (packets_tx, packets_rx) = sync_channel::<Option<Vec<u8>>>(50);
    let thread_counters = counters.clone();
    let spawned = std::thread::Builder::new()
        .name("opus-decode".into())
        .spawn(move || {
            let mut decoder = match OpusDecoder::new() {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, "no Opus decoder");
                    return;
                }
            };
            while let Ok(packet) = packets_rx.recv() {
                let started = Instant::now();
                match decoder.decode(packet.as_deref()) {
                    Ok(samples) => {
                        thread_counters.record_decoded(Instant::now(), started.elapsed());
                        output.push(&samples);
                    }
                    Err(e) => tracing::debug!(error = %e, "an audio packet did not decode"),
                }
            }
            if let Err(e) = output.finish() {
                tracing::warn!(error = %e, "the audio output did not finish cleanly");
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "no audio decoder thread");
        return;
    }
    let mut last_seq: Option<u16> = None;
    while let Some(event) = track.poll().await {
        match event {
            TrackRemoteEvent::OnRtpPacket(packet) => {
                counters
                    .bytes
                    .fetch_add(packet.payload.len() as u64, Ordering::Relaxed);
                let seq = packet.header.sequence_number;
                counters.record_arrival(Instant::now(), packet.header.timestamp, 48_000);
                if let Some(last) = last_seq {
                    let gap = seq.wrapping_sub(last);
                    if gap == 0 || gap > 0x8000 {
                        continue; // repeated or late
                    }
                    // Conceal up to five lost packets (100 ms); more is a new talk spurt.
                    for _ in 1..gap.min(6) {
                        let _ = packets_tx.try_send(None);
                    }
                }
                last_seq = Some(seq);
                let _ = packets_tx.try_send(Some(packet.payload.to_vec()));
            }
            TrackRemoteEvent::OnEnded | TrackRemoteEvent::OnError => break,
            _ => {}
        }
    }
    tracing::debug!(remote, "remote audio ended");
}

fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}
