// Stopgap: `ui/src/generated/protocol.ts` refers to these three types but does not declare them,
// because `render()` in crates/protocol/src/typescript.rs does not list `MediaState::decl()`,
// `IceServer::decl()` and `Signal::decl()`. Until it does, they are declared here globally, by
// hand, exactly as the Rust types serialize (crates/protocol/src/ws.rs). Delete this file once
// the generated file declares them (its own module-local declarations then take precedence).

/** Which of a participant's media are live. */
type MediaState = { camera: boolean; microphone: boolean; screen: boolean };

/** One ICE server for a peer connection, shaped like the browser's `RTCIceServer`. */
type IceServer = { urls: Array<string>; username?: string; credential?: string };

/** WebRTC signalling between two participants. */
type Signal =
  | { kind: 'offer'; call_id: string; sdp: string }
  | { kind: 'answer'; call_id: string; sdp: string }
  | { kind: 'candidate'; call_id: string; candidate: string; sdp_mid?: string; sdp_m_line_index?: number }
  | { kind: 'hangup'; call_id: string };
