//! One call: a `webrtc` peer connection with one other participant, set up the way every call
//! of ours is (see docs/CONTRACT.md, "Calls"): VP8 and Opus only; three m-sections in a fixed
//! order (microphone, camera, screen); trickle ICE; mDNS off; DTLS server when answering;
//! NACK, RTCP reports, transport-wide congestion control feeding an estimate, and keyframe
//! requests delivered to us.

use std::sync::Arc;
use std::time::{Duration, Instant};

use instant_share_protocol::IceServer;
use rtc::dtls::extension::extension_use_srtp::SrtpProtectionProfile;
use rtc::ice::mdns::MulticastDnsMode;
use rtc::interceptor::{
    CongestionControlBuilder, Gcc, NackResponderBuilder, Registry, Slot, TwccReceiverBuilder,
    TwccSenderBuilder,
};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::configure_rtcp_reports;
use rtc::peer_connection::configuration::media_engine::{
    MediaEngine, MIME_TYPE_OPUS, MIME_TYPE_VP8,
};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::configuration::{RTCConfigurationBuilder, RTCIceTransportPolicy};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::RTCDtlsRole;
use rtc::peer_connection::transport::RTCIceServer;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind, TYPE_RTCP_FB_CCM, TYPE_RTCP_FB_NACK,
    TYPE_RTCP_FB_TRANSPORT_CC,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCIceCandidateInit,
    RTCPeerConnectionIceEvent, RTCPeerConnectionState,
};
use webrtc::rtp_transceiver::RtpSender;

use super::fault::DropPackets;
use super::feedback::{AppFeedback, Estimate};
use super::first_frame::FirstFrameTwice;
use super::runtime::GuardedRuntime;
use super::MediaConfig;
use super::{PeerError, TrackKind};

/// VP8's payload type in our offers (the answer may map it to another).
const VP8_PT: u8 = 96;
/// Opus's payload type in our offers.
const OPUS_PT: u8 = 111;

/// The estimate the congestion controller starts from, and its bounds (bits per second).
pub(crate) const START_BITRATE: f64 = 1_000_000.0;
const MIN_BITRATE: f64 = 100_000.0;
const MAX_BITRATE: f64 = 2_500_000.0;

/// How long the first call we offer to someone may take to connect before it is given up and
/// offered again. A DTLS handshake whose flights keep getting lost can fail without the
/// connection ever reporting `Failed` (webrtc 0.21 leaves it `Connecting`), and would strand
/// the call; ICE and DTLS on a 300 ms round trip at 20 % loss connect well within it.
pub(crate) const CALL_SETUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(12);

/// The setup timeout of a call offered after `failed_before` in a row did not connect in
/// time: doubling, up to four times the first, so that a path slower than the first timeout
/// still connects on a later try.
pub(crate) fn setup_timeout(failed_before: u32) -> std::time::Duration {
    CALL_SETUP_TIMEOUT * 2u32.pow(failed_before.min(2))
}

/// How often a connected call checks that the other side still answers (RFC 7675 consent).
/// Media refreshes it too; this matters when nothing is sent (everything off or muted).
const ICE_KEEPALIVE: Duration = Duration::from_millis(250);
/// How long nothing may arrive from the other side before the call counts as disconnected,
/// and the offerer restarts ICE (four missed keep-alives: a path that merely loses packets
/// stays connected, one that went away is noticed within a second).
pub(crate) const ICE_DISCONNECTED_AFTER: Duration = Duration::from_secs(1);
/// How much longer a disconnected call may stay so before it fails and is called anew (counted
/// again from each restart, which starts the agent's checks afresh).
const ICE_FAILED_AFTER: Duration = Duration::from_secs(10);

/// What an answer did to a call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Answered {
    /// Taken: ICE (re)starts on the same connection.
    Taken,
    /// Not awaited (a duplicate, or no offer of ours is open): ignored.
    Unexpected,
    /// From another connection than the one this call had (another DTLS fingerprint: the
    /// other side started over and answered a restart as a new call). The call must be made
    /// anew.
    Stranger,
}

/// What the connection's event handler reports to the session task.
#[derive(Clone)]
pub(crate) enum CallInput {
    /// A local ICE candidate to send (`None`: gathering is complete).
    Candidate {
        remote: String,
        call_id: String,
        candidate: Option<RTCIceCandidateInit>,
    },
    /// The connection's state changed.
    State {
        remote: String,
        call_id: String,
        state: RTCPeerConnectionState,
    },
    /// The call we offered is still not connected [`CALL_SETUP_TIMEOUT`] after the offer.
    SetupTimeout { remote: String, call_id: String },
    /// A remote track started (its first packet arrived).
    Track {
        remote: String,
        call_id: String,
        track: Arc<dyn TrackRemote>,
    },
}

struct Handler {
    remote: String,
    call_id: String,
    tx: mpsc::UnboundedSender<CallInput>,
    gathered: Arc<tokio::sync::watch::Sender<bool>>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        let candidate = match event.candidate.to_json() {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "a local ICE candidate could not be written");
                return;
            }
        };
        let _ = self.tx.send(CallInput::Candidate {
            remote: self.remote.clone(),
            call_id: self.call_id.clone(),
            candidate,
        });
    }

    async fn on_ice_gathering_state_change(
        &self,
        state: webrtc::peer_connection::RTCIceGatheringState,
    ) {
        if state == webrtc::peer_connection::RTCIceGatheringState::Complete {
            self.gathered.send_replace(true);
            let _ = self.tx.send(CallInput::Candidate {
                remote: self.remote.clone(),
                call_id: self.call_id.clone(),
                candidate: None,
            });
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.tx.send(CallInput::State {
            remote: self.remote.clone(),
            call_id: self.call_id.clone(),
            state,
        });
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.tx.send(CallInput::Track {
            remote: self.remote.clone(),
            call_id: self.call_id.clone(),
            track,
        });
    }
}

/// Where a call's local tracks are written: the track, its SSRC and the negotiated payload type.
#[derive(Clone)]
pub(crate) struct Outlet {
    pub track: Arc<TrackLocalStaticSample>,
    pub ssrc: u32,
    pub payload_type: u8,
}

/// One peer connection with one remote participant.
pub(crate) struct Call {
    pub call_id: String,
    pub offerer: bool,
    pub pc: Arc<dyn PeerConnection>,
    tracks: Vec<(TrackKind, Arc<TrackLocalStaticSample>, u32)>,
    senders: Vec<(TrackKind, Arc<dyn RtpSender>)>,
    pub estimate: Estimate,
    remote_set: bool,
    pending: Vec<RTCIceCandidateInit>,
    /// Whether ICE and DTLS came up once (the tracks are bound).
    pub connected: bool,
    /// Whether the connection is up now, by its last reported state (false once disconnected
    /// or failed, until it is connected again).
    pub live: bool,
    pub created: Instant,
    /// When the ICE restart under way began.
    pub restarted: Option<Instant>,
    /// The offer of ours that waits for its answer (sent again, never replaced, until answered:
    /// an answer cannot say which of two offers it answers).
    pending_offer: Option<String>,
    /// The other side's DTLS certificate fingerprint, from its first description.
    remote_fingerprint: Option<String>,
    gathered: tokio::sync::watch::Receiver<bool>,
    gathered_tx: Arc<tokio::sync::watch::Sender<bool>>,
}

/// The `a=fingerprint:` of a description (session level or the first m-section's).
fn fingerprint(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|l| l.trim_end().strip_prefix("a=fingerprint:"))
        .map(|f| f.to_ascii_lowercase())
}

fn codecs() -> (RTCRtpCodecParameters, RTCRtpCodecParameters) {
    let vp8 = RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_VP8.to_owned(),
            clock_rate: 90_000,
            channels: 0,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: vec![],
        },
        payload_type: VP8_PT,
    };
    let opus = RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_OPUS.to_owned(),
            clock_rate: 48_000,
            channels: 2,
            sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
            rtcp_feedback: vec![],
        },
        payload_type: OPUS_PT,
    };
    (vp8, opus)
}

fn engine_and_registry(
    estimate: &Estimate,
    local: &MediaConfig,
) -> Result<(MediaEngine, Registry), PeerError> {
    let faults = &local.faults;
    let mut engine = MediaEngine::default();
    let (vp8, opus) = codecs();
    engine.register_codec(vp8, RtpCodecKind::Video)?;
    engine.register_codec(opus, RtpCodecKind::Audio)?;
    // NACK and "nack pli"; RTCP sender and receiver reports. Lost packets are asked for by the
    // receive loop itself (`nack.rs`: at the gap and at the pace of the round trip, which the
    // stock generator's fixed interval is not); the responder here resends them.
    for parameter in ["", "pli"] {
        engine.register_feedback(
            RTCPFeedback {
                typ: TYPE_RTCP_FB_NACK.to_owned(),
                parameter: parameter.to_owned(),
            },
            RtpCodecKind::Video,
        );
    }
    let registry = Registry::new().with(Slot::NackResponder, NackResponderBuilder::new().build());
    let registry = configure_rtcp_reports(registry);
    engine.register_feedback(
        RTCPFeedback {
            typ: TYPE_RTCP_FB_CCM.to_owned(),
            parameter: "fir".to_owned(),
        },
        RtpCodecKind::Video,
    );
    // Transport-wide congestion control without the pacer: the encoder's own rate control
    // follows the estimate, and a paced keyframe would delay the first picture by the burst.
    for kind in [RtpCodecKind::Video, RtpCodecKind::Audio] {
        engine.register_feedback(
            RTCPFeedback {
                typ: TYPE_RTCP_FB_TRANSPORT_CC.to_owned(),
                parameter: String::new(),
            },
            kind,
        );
        engine.register_header_extension(
            rtc::rtp_transceiver::rtp_sender::RTCRtpHeaderExtensionCapability {
                uri: rtc::sdp::extmap::TRANSPORT_CC_URI.to_owned(),
            },
            kind,
            None,
        )?;
    }
    let registry = registry
        .with(
            Slot::CongestionControl,
            CongestionControlBuilder::new(Gcc::new(START_BITRATE, MIN_BITRATE, MAX_BITRATE))
                .build(),
        )
        .with(Slot::TwccSender, TwccSenderBuilder::new().build())
        .with(Slot::TwccReceiver, TwccReceiverBuilder::new().build())
        .with(Slot::Custom(100_000), AppFeedback::new(estimate.clone()));
    let registry = if local.first_keyframe_twice {
        // Wire-ward of the transport-wide numbering, so that a copy is its original byte for
        // byte (see `first_frame`); application-ward of the send history.
        registry.with(Slot::Custom(1_500), FirstFrameTwice::new())
    } else {
        registry
    };
    let registry = if faults.is_empty() {
        registry
    } else {
        // Wire-most, below the NACK responder's history.
        registry.with(Slot::Custom(500), DropPackets::new(faults.clone()))
    };
    Ok((engine, registry))
}

fn ice_servers(servers: &[IceServer]) -> Vec<RTCIceServer> {
    servers
        .iter()
        .map(|s| RTCIceServer {
            urls: s.urls.clone(),
            username: s.username.clone().unwrap_or_default(),
            credential: s.credential.clone().unwrap_or_default(),
        })
        .collect()
}

impl Call {
    /// Builds the connection and its three local tracks. An offerer adds the transceivers
    /// now (the order of the m-sections); an answerer after it has the offer.
    pub async fn build(
        remote: &str,
        call_id: &str,
        offerer: bool,
        servers: &[IceServer],
        local: &MediaConfig,
        tx: mpsc::UnboundedSender<CallInput>,
    ) -> Result<Self, PeerError> {
        let udp_addrs = &local.udp_addrs;
        let estimate = Estimate::default();
        let (engine, registry) = engine_and_registry(&estimate, local)?;
        let loopback = udp_addrs.iter().any(|a| a.ip().is_loopback());
        let settings = SettingEngineBuilder::new()
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            .with_answering_dtls_role(RTCDtlsRole::Server)
            // SRTP with AES counter mode and HMAC, not AES-GCM (the crate's first choice). A
            // NACKed packet is resent under its first SRTP packet index but with another
            // transport-wide sequence number in its header: under GCM that is one nonce over two
            // different authenticated headers, which gives away the authentication key to anyone
            // on the path (retransmissions without RTX, as here). Under counter mode the same
            // index encrypts the same payload to the same bytes, and HMAC has no nonce.
            .with_srtp_protection_profiles(vec![SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80])
            .with_include_loopback_candidate(loopback)
            // Check candidate pairs every 10 ms (the default 200 ms costs most of the setup
            // time on a fast path, and a lost check costs one interval), still for 1.4 s per
            // candidate.
            .with_ice_connection_attempts(Some(Duration::from_millis(10)), Some(140))
            .with_ice_timeouts(
                Some(ICE_DISCONNECTED_AFTER),
                Some(ICE_FAILED_AFTER),
                Some(ICE_KEEPALIVE),
            )
            // An ICE restart binds new sockets on the interfaces there are then: after a move
            // from one network to another, the old address is gone.
            .with_discard_local_candidates_during_ice_restart(true)
            // A pair learnt from the other side's checks (a browser hides its host addresses
            // behind mDNS names, so that is how we meet one) or through a STUN server is taken
            // at once, not after the 1 s and 0.5 s the ICE agent waits by default for a better
            // one to turn up: that wait was the whole of a restart's time with Chromium.
            .with_prflx_acceptance_min_wait(Some(Duration::from_millis(50)))
            .with_srflx_acceptance_min_wait(Some(Duration::from_millis(100)))
            .build();
        let config = RTCConfigurationBuilder::new()
            .with_ice_servers(ice_servers(servers))
            .with_ice_transport_policy(if local.relay_only {
                RTCIceTransportPolicy::Relay
            } else {
                RTCIceTransportPolicy::All
            })
            .build();
        let (gathered_tx, gathered) = tokio::sync::watch::channel(false);
        let gathered_tx = Arc::new(gathered_tx);
        let handler = Arc::new(Handler {
            remote: remote.to_owned(),
            call_id: call_id.to_owned(),
            tx,
            gathered: gathered_tx.clone(),
        });
        let mut builder = PeerConnectionBuilder::new();
        if local.fast_dtls_resend {
            builder = builder.with_runtime(Arc::new(GuardedRuntime));
        }
        let pc = builder
            .with_configuration(config)
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .with_setting_engine(settings)
            .with_handler(handler)
            .with_udp_addrs(udp_addrs.to_vec())
            .build()
            .await?;
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        let (vp8, opus) = codecs();
        let mut tracks = Vec::new();
        for kind in TrackKind::ALL {
            let ssrc = rand::random::<u32>();
            let (codec_kind, codec) = match kind {
                TrackKind::Microphone => (RtpCodecKind::Audio, opus.rtp_codec.clone()),
                _ => (RtpCodecKind::Video, vp8.rtp_codec.clone()),
            };
            let track = Arc::new(TrackLocalStaticSample::new(
                Instant::now(),
                // Track ids must differ from the remote's: the stack routes RTCP by track id,
                // and feedback about our camera would otherwise reach the remote's camera.
                MediaStreamTrack::new(
                    format!("instant-share-{ssrc:08x}"),
                    format!("{}-{ssrc:08x}", kind.name()),
                    kind.name().to_owned(),
                    codec_kind,
                    vec![RTCRtpEncodingParameters {
                        rtp_coding_parameters: RTCRtpCodingParameters {
                            ssrc: Some(ssrc),
                            ..Default::default()
                        },
                        codec,
                        ..Default::default()
                    }],
                ),
            )?);
            tracks.push((kind, track, ssrc));
        }
        let mut call = Self {
            call_id: call_id.to_owned(),
            offerer,
            pc,
            tracks,
            senders: Vec::new(),
            estimate,
            remote_set: false,
            pending: Vec::new(),
            connected: false,
            live: false,
            created: Instant::now(),
            restarted: None,
            pending_offer: None,
            remote_fingerprint: None,
            gathered,
            gathered_tx,
        };
        if offerer {
            for (kind, track, _) in call.tracks.clone() {
                let transceiver = call
                    .pc
                    .add_transceiver_from_track(
                        track as Arc<dyn TrackLocal>,
                        Some(RTCRtpTransceiverInit {
                            direction: RTCRtpTransceiverDirection::Sendrecv,
                            streams: vec![],
                            send_encodings: vec![],
                        }),
                    )
                    .await?;
                if let Some(sender) = transceiver.sender().await? {
                    call.senders.push((kind, sender));
                }
            }
        }
        Ok(call)
    }

    /// The offer (set as the local description).
    pub async fn offer(&mut self) -> Result<String, PeerError> {
        self.offer_with(None).await
    }

    /// Makes an offer, sets it as the local description and keeps it until it is answered.
    async fn offer_with(
        &mut self,
        options: Option<rtc::peer_connection::configuration::RTCOfferOptions>,
    ) -> Result<String, PeerError> {
        let offer = self.pc.create_offer(options).await?;
        let sdp = self.set_local(offer).await?;
        self.pending_offer = Some(sdp.clone());
        Ok(sdp)
    }

    /// Sets our offer or answer as the local description; returns it with the candidates
    /// gathered early ([`Self::with_early_candidates`]).
    async fn set_local(&mut self, description: RTCSessionDescription) -> Result<String, PeerError> {
        let sdp = description.sdp.clone();
        self.pc.set_local_description(description).await?;
        Ok(self.with_early_candidates(sdp).await)
    }

    /// An ICE restart begins: gathering starts over, and its time is taken.
    fn begin_restart(&mut self) {
        self.gathered_tx.send_replace(false);
        self.restarted = Some(Instant::now());
    }

    /// The offer that waits for its answer, if one does.
    pub fn pending_offer(&self) -> Option<&str> {
        self.pending_offer.as_deref()
    }

    /// Whether an ICE restart of ours waits for its answer.
    pub fn restarting(&self) -> bool {
        self.connected && self.pending_offer.is_some()
    }

    /// An offer with fresh ICE credentials on this connection (an ICE restart): new sockets on
    /// the interfaces there are now, new candidates; DTLS and the tracks stay.
    pub async fn restart_offer(&mut self) -> Result<String, PeerError> {
        self.begin_restart();
        let options = rtc::peer_connection::configuration::RTCOfferOptions { ice_restart: true };
        self.offer_with(Some(options)).await
    }

    /// Whether `offer_sdp` comes from the connection this call has (the same DTLS
    /// certificate): then it renegotiates this call rather than starting another.
    pub fn same_remote(&self, offer_sdp: &str) -> bool {
        self.remote_fingerprint.is_some() && fingerprint(offer_sdp) == self.remote_fingerprint
    }

    /// Takes the offerer's new offer for this call (an ICE restart) and returns the answer.
    pub async fn renegotiate(&mut self, offer_sdp: &str) -> Result<String, PeerError> {
        self.begin_restart();
        self.pc
            .set_remote_description(RTCSessionDescription::offer(offer_sdp.to_owned())?)
            .await?;
        let answer = self.pc.create_answer(None).await?;
        self.set_local(answer).await
    }

    /// The local description with the candidates gathered in the first few milliseconds (host
    /// candidates are there at once). The remote's ICE agent then has them the moment it takes
    /// the description, rather than from a trickled message that can miss its first round of
    /// checks; candidates found later are trickled as usual.
    async fn with_early_candidates(&mut self, sdp: String) -> String {
        let _ = tokio::time::timeout(
            Duration::from_millis(50),
            self.gathered.wait_for(|done| *done),
        )
        .await;
        match self.pc.local_description().await {
            Some(description) => description.sdp,
            None => sdp,
        }
    }

    /// Takes the remote offer and returns the answer (set as the local description).
    pub async fn answer(&mut self, offer_sdp: &str) -> Result<String, PeerError> {
        self.pc
            .set_remote_description(RTCSessionDescription::offer(offer_sdp.to_owned())?)
            .await?;
        self.remote_set = true;
        self.remote_fingerprint = fingerprint(offer_sdp);
        // The offer's m-sections come first; our tracks take them in order.
        for (kind, track, _) in self.tracks.clone() {
            let sender = self.pc.add_track(track as Arc<dyn TrackLocal>).await?;
            self.senders.push((kind, sender));
        }
        let answer = self.pc.create_answer(None).await?;
        let sdp = answer.sdp.clone();
        self.pc.set_local_description(answer).await?;
        self.flush_candidates().await;
        Ok(self.with_early_candidates(sdp).await)
    }

    /// Takes the remote answer to our offer (the first, or an ICE restart's).
    pub async fn accept_answer(&mut self, sdp: &str) -> Result<Answered, PeerError> {
        if self.pending_offer.is_none() {
            return Ok(Answered::Unexpected);
        }
        if self.remote_fingerprint.is_some() && fingerprint(sdp) != self.remote_fingerprint {
            return Ok(Answered::Stranger);
        }
        self.pc
            .set_remote_description(RTCSessionDescription::answer(sdp.to_owned())?)
            .await?;
        self.pending_offer = None;
        self.remote_set = true;
        self.remote_fingerprint = fingerprint(sdp);
        self.flush_candidates().await;
        Ok(Answered::Taken)
    }

    /// A remote candidate; held until the remote description is set.
    pub async fn add_candidate(&mut self, candidate: RTCIceCandidateInit) {
        if self.remote_set {
            if let Err(e) = self.pc.add_ice_candidate(candidate).await {
                tracing::debug!(error = %e, "a remote ICE candidate was refused");
            }
        } else {
            self.pending.push(candidate);
        }
    }

    async fn flush_candidates(&mut self) {
        for candidate in std::mem::take(&mut self.pending) {
            if let Err(e) = self.pc.add_ice_candidate(candidate).await {
                tracing::debug!(error = %e, "a remote ICE candidate was refused");
            }
        }
    }

    /// Where each local track is written, once negotiated.
    pub async fn outlets(&self) -> Vec<(TrackKind, Outlet)> {
        let mut out = Vec::new();
        for (kind, sender) in &self.senders {
            let Some((_, track, ssrc)) = self.tracks.iter().find(|(k, _, _)| k == kind) else {
                continue;
            };
            let pt = match sender.get_parameters().await {
                Ok(p) => p.rtp_parameters.codecs.first().map(|c| c.payload_type),
                Err(_) => None,
            };
            if let Some(payload_type) = pt {
                out.push((
                    *kind,
                    Outlet {
                        track: track.clone(),
                        ssrc: *ssrc,
                        payload_type,
                    },
                ));
            }
        }
        out
    }

    /// Which of the remote's tracks `track` is: by the m-section its transceiver has.
    pub async fn kind_of(&self, track: &Arc<dyn TrackRemote>) -> Option<TrackKind> {
        let sdp = self.pc.remote_description().await?.sdp;
        let mids: Vec<&str> = sdp
            .lines()
            .filter_map(|l| l.trim_end().strip_prefix("a=mid:"))
            .collect();
        for transceiver in self.pc.get_transceivers().await {
            let Ok(Some(receiver)) = transceiver.receiver().await else {
                continue;
            };
            if !Arc::ptr_eq(receiver.track(), track) {
                continue;
            }
            let mid = transceiver.mid().await.ok().flatten()?;
            let index = mids.iter().position(|m| *m == mid)?;
            return TrackKind::ALL.get(index).copied();
        }
        None
    }

    /// Round trip time (ms) of the connection's pair in use, the SRTP profile the handshake
    /// chose, and the loss (percent) of each received track, from the RTCP-based report.
    pub async fn network_stats(
        &self,
        now: Instant,
    ) -> (Option<f64>, Option<String>, Vec<(TrackKind, f64)>) {
        use webrtc::peer_connection::{RTCStatsReportEntry, StatsSelector};
        let report = self.pc.get_stats(now, StatsSelector::None).await;
        let mids: Vec<String> = match self.pc.remote_description().await {
            Some(d) => d
                .sdp
                .lines()
                .filter_map(|l| l.trim_end().strip_prefix("a=mid:"))
                .map(str::to_owned)
                .collect(),
            None => Vec::new(),
        };
        let mut rtt: Option<f64> = None;
        let mut cipher: Option<String> = None;
        let mut inbound = Vec::new();
        for entry in report.iter() {
            match entry {
                RTCStatsReportEntry::IceCandidatePair(pair)
                    if pair.nominated && pair.current_round_trip_time > 0.0 =>
                {
                    rtt = Some(pair.current_round_trip_time * 1000.0);
                }
                RTCStatsReportEntry::Transport(t) if !t.srtp_cipher.is_empty() => {
                    cipher = Some(t.srtp_cipher.clone());
                }
                RTCStatsReportEntry::InboundRtp(rtp) => {
                    let Some(kind) = mids
                        .iter()
                        .position(|m| *m == rtp.mid)
                        .and_then(|i| TrackKind::ALL.get(i).copied())
                    else {
                        continue;
                    };
                    let received = &rtp.received_rtp_stream_stats;
                    let lost = received.packets_lost.max(0) as f64;
                    let expected = lost + received.packets_received as f64;
                    let loss = if expected > 0.0 {
                        100.0 * lost / expected
                    } else {
                        0.0
                    };
                    inbound.push((kind, loss));
                }
                _ => {}
            }
        }
        (rtt, cipher, inbound)
    }

    /// Local tracks' senders, for keyframe requests and statistics.
    pub fn local_tracks(&self) -> impl Iterator<Item = (TrackKind, &Arc<TrackLocalStaticSample>)> {
        self.tracks.iter().map(|(k, t, _)| (*k, t))
    }

    /// Closes the connection.
    /// Closes the connection (given a second: a peer that stopped answering must not hold up
    /// the session).
    pub async fn close(&self) {
        match tokio::time::timeout(Duration::from_secs(1), self.pc.close()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "closing a peer connection"),
            Err(_) => tracing::warn!(
                call_id = self.call_id,
                "a peer connection took too long to close"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_is_read_from_either_level_and_compared_without_case() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:sha-256 AB:CD\r\n";
        assert_eq!(fingerprint(sdp).as_deref(), Some("sha-256 ab:cd"));
        assert_eq!(fingerprint("v=0\r\n"), None);
    }

    #[test]
    fn each_call_that_did_not_connect_in_time_gives_the_next_twice_as_long_up_to_four_times() {
        let secs: Vec<u64> = (0..5).map(|n| setup_timeout(n).as_secs()).collect();
        assert_eq!(secs, [12, 24, 48, 48, 48]);
    }
}
