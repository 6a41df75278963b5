// Generated from crates/protocol by `UPDATE_GENERATED=1 cargo test -p instant-share-protocol`.
// Do not edit by hand.

export const PROTOCOL_VERSION = 1;
export const MAX_WS_MESSAGE_BYTES = 16384;
export const MAX_CHAT_CHARS = 2000;
export const MAX_NOTE_CHARS = 500;
export const MAX_FEEDBACK_CHARS = 1000;
export const MAX_PARTICIPANTS = 4;
export const BOARD_UNITS = 10000;
export const MAX_STROKE_POINTS = 1000;
export const MAX_ANNOTATIONS = 2000;
export const MAX_BOARD_POINTS = 200000;
export const MAX_BOARD_IMAGES = 24;
export const MAX_TEXT_CHARS = 500;
export const MAX_UNDO = 50;

export type ErrorCode = "bad_request" | "unauthenticated" | "device_revoked" | "enrolment_code_invalid" | "enrolment_code_used" | "bad_credentials" | "forbidden" | "not_found" | "session_ended" | "conflict" | "participant_offline" | "message_too_large" | "rate_limited" | "hello_expected" | "unsupported_version" | "unknown_topic" | "skill_mismatch" | "cross_site" | "method_not_allowed" | "busy" | "quota_exceeded" | "storage_full" | "internal" | "host_unreachable" | "keychain" | "policy_invalid" | "set_by_policy" | "enrolment_link_refused";

export type ApiError = { 
/**
 * What went wrong, for programs.
 */
code: ErrorCode, 
/**
 * What went wrong, for people.
 */
message: string, };

export type EnrolRequest = { 
/**
 * The code an administrator handed out (`instant-share-host enrolment-code`), typed or
 * carried by an enrolment link (`instant-share://enrol?host=…&code=…`, see `link.rs`).
 */
code: string, 
/**
 * A name for this device, shown to administrators ("Ana's laptop").
 */
device_name: string, };

export type EnrolResponse = { 
/**
 * The device's identifier.
 */
device_id: string, 
/**
 * The device credential: a bearer secret for `Authorization: Bearer ...`. Keep it in the
 * OS keychain; the host stores only its hash.
 */
credential: string, 
/**
 * The name of the employee the code was made for.
 */
employee_name: string, };

export type Topic = { 
/**
 * Stable identifier, also the skill name (`"email"`).
 */
id: string, 
/**
 * What the picker shows (`"Email and calendar"`).
 */
label: string, };

export type TopicList = { 
/**
 * Every topic the host routes, in display order.
 */
topics: Array<Topic>, };

export type ShareRequest = { 
/**
 * One of the host's [`Topic`] ids.
 */
topic: string, 
/**
 * What the requester wants help with, in their words (at most 500 characters).
 */
note?: string, 
/**
 * Version of the requesting app.
 */
app_version: string, 
/**
 * The requester's operating system and version.
 */
os_version: string, };

export type SharePointer = { 
/**
 * The new session.
 */
session_id: string, 
/**
 * Absolute address of the session's co-browse site (`https://host/s/<id>`).
 */
site_url: string, 
/**
 * Absolute address of the session WebSocket.
 */
ws_url: string, 
/**
 * The requester's participant token; sent in the first WebSocket message, never in a URL.
 */
participant_token: string, 
/**
 * When the participant token stops working.
 */
token_expires_at: number, 
/**
 * 1 = next to be offered. 0 once an expert has been offered the request.
 */
queue_position: number, 
/**
 * Estimated seconds until an expert joins; 0 while nobody is on duty.
 */
estimated_wait_secs: number, 
/**
 * Experts on duty who could take the request; 0: nobody is, for now.
 */
experts_on_duty: number, };

export type TopicOutlook = { 
/**
 * The topic id.
 */
topic: string, 
/**
 * Experts on duty (available) who take this topic, in a session or not.
 */
experts_on_duty: number, 
/**
 * Estimated seconds until an expert would join a request made now, from the desk's recent
 * figures; absent while nobody is on duty.
 */
estimated_wait_secs?: number, };

export type DeskOutlook = { 
/**
 * One entry per routed topic, in the host's order.
 */
topics: Array<TopicOutlook>, };

export type Feedback = { 
/**
 * Did the session solve the problem?
 */
solved: boolean, 
/**
 * 1 (poor) to 5 (excellent), if the employee gave one. JSON has one kind of number: `4.0`
 * is the integer 4, as JSON Schema reads it; `4.5` is refused.
 */
rating?: number, 
/**
 * In their words, at most [`MAX_FEEDBACK_CHARS`] characters.
 */
comment?: string, };

export type Outcome = "solved" | "workaround" | "not_solved" | "escalated" | "follow_up";

export type WrapUp = { 
/**
 * The outcome.
 */
outcome: Outcome, 
/**
 * A note for the record, at most [`MAX_FEEDBACK_CHARS`] characters.
 */
note?: string, };

export type GuestInviteRequest = { 
/**
 * The name the others will see, 1 to 60 characters.
 */
display_name: string, 
/**
 * `true`: the guest may draw on the board; `false`: look and point only.
 */
may_draw: boolean, };

export type GuestInvite = { 
/**
 * The guest's participant id.
 */
participant_id: string, 
/**
 * The co-browse site with the guest's token in the fragment (`…/s/<id>#token=…`; the
 * fragment never reaches a server or its logs).
 */
link: string, 
/**
 * When the guest's token stops working.
 */
token_expires_at: number, };

export type HandOverRequest = { 
/**
 * The other expert's user name.
 */
to_username: string, };

export type BringInRequest = { 
/**
 * The colleague's user name.
 */
username: string, };

export type LoginRequest = { 
/**
 * The expert's user name.
 */
username: string, 
/**
 * The expert's password.
 */
password: string, };

export type ExpertProfile = { 
/**
 * The expert's identifier.
 */
id: string, 
/**
 * The expert's user name.
 */
username: string, 
/**
 * Name shown to requesters.
 */
display_name: string, 
/**
 * Topic ids this expert takes.
 */
skills: Array<string>, };

export type ConsoleTicket = { 
/**
 * Single-use, expires after a minute.
 */
ticket: string, 
/**
 * Absolute address of the WebSocket.
 */
ws_url: string, };

export type Health = { 
/**
 * `"ok"` when the host serves requests.
 */
status: string, 
/**
 * The host's version.
 */
version: string, };

export type Role = "requester" | "expert" | "guest";

export type SessionStatus = "requested" | "queued" | "offered" | "active" | "ended";

export type EndReason = "cancelled" | "ended_by_requester" | "ended_by_expert" | "no_expert_available" | "idle_timeout" | "max_duration";

export type WithdrawReason = "timeout" | "declined" | "request_ended" | "expert_unavailable" | "taken";

export type Participant = { 
/**
 * The participant's identifier within the session.
 */
id: string, 
/**
 * Their part.
 */
role: Role, 
/**
 * The name others see.
 */
display_name: string, 
/**
 * Whether they have a socket open now.
 */
online: boolean, 
/**
 * What they send now (all off until they say otherwise).
 */
media: MediaState, 
/**
 * May draw on the board (the requester and the expert always; a guest if invited so).
 */
may_draw: boolean, 
/**
 * Left the session for good (an expert who handed it over, a guest who was removed).
 */
left: boolean, 
/**
 * The expert in charge (one at a time): brings colleagues in and hands the session over.
 * Others brought in beside them are experts too, without this.
 */
in_charge: boolean, };

export type MediaState = { 
/**
 * The camera is on and sent.
 */
camera: boolean, 
/**
 * The microphone is on and not muted.
 */
microphone: boolean, 
/**
 * The screen (or one window) is shared.
 */
screen: boolean, 
/**
 * The shared screen is paused: a card with a pause sign goes out instead of the screen
 * (while the sharer prepares a private picture, say).
 */
screen_paused: boolean, };

export type IceServer = { 
/**
 * `stun:host:port`, `turn:host:port?transport=udp`, …
 */
urls: Array<string>, 
/**
 * TURN only: the time-limited user name (`<expiry>:<participant>`).
 */
username?: string, 
/**
 * TURN only: the credential for `username` (valid until the expiry in it).
 */
credential?: string, };

export type Signal = { "kind": "offer", 
/**
 * Names the call, chosen by the offerer (1 to 64 characters).
 */
call_id: string, 
/**
 * The session description.
 */
sdp: string, } | { "kind": "answer", 
/**
 * The offer's `call_id`.
 */
call_id: string, 
/**
 * The session description.
 */
sdp: string, } | { "kind": "candidate", 
/**
 * The call it belongs to.
 */
call_id: string, 
/**
 * The candidate line (`candidate:…`), or empty for end of candidates.
 */
candidate: string, 
/**
 * The media section it belongs to.
 */
sdp_mid?: string, 
/**
 * The media section's index.
 */
sdp_m_line_index?: number, } | { "kind": "hangup", 
/**
 * The call.
 */
call_id: string, } | { "kind": "restart", 
/**
 * The call.
 */
call_id: string, };

export type ChatMessage = { 
/**
 * The sender's participant id.
 */
from: string, 
/**
 * The sender's name when they sent it.
 */
from_name: string, 
/**
 * The text, at most [`crate::MAX_CHAT_CHARS`] characters.
 */
text: string, 
/**
 * The sender's own id for the message, so a resent message is stored once.
 */
client_msg_id: string, 
/**
 * When the host received it.
 */
at: number, };

export type BoardTarget = { "kind": "image", 
/**
 * The image's id.
 */
image_id: string, } | { "kind": "screen", 
/**
 * Whose screen.
 */
participant_id: string, };

export type Shape = { "kind": "pen", 
/**
 * 1 to [`MAX_STROKE_POINTS`] points, in drawing order.
 */
points: Array<[number, number]>, } | { "kind": "highlight", 
/**
 * 1 to [`MAX_STROKE_POINTS`] points, in drawing order.
 */
points: Array<[number, number]>, } | { "kind": "arrow", 
/**
 * Tail.
 */
from: [number, number], 
/**
 * Head.
 */
to: [number, number], } | { "kind": "rect", 
/**
 * One corner.
 */
from: [number, number], 
/**
 * The opposite corner.
 */
to: [number, number], } | { "kind": "ellipse", 
/**
 * One corner.
 */
from: [number, number], 
/**
 * The opposite corner.
 */
to: [number, number], } | { "kind": "text", 
/**
 * Top left.
 */
at: [number, number], 
/**
 * 1 to [`MAX_TEXT_CHARS`] characters, not only spaces.
 */
text: string, };

export type Annotation = { 
/**
 * Chosen by the author: 1 to 64 of `A-Z a-z 0-9 - _ . :`, unique on the board.
 */
id: string, 
/**
 * The author's participant id.
 */
by: string, 
/**
 * What it is drawn on.
 */
target: BoardTarget, 
/**
 * What it looks like.
 */
shape: Shape, 
/**
 * `#rrggbb`, lower case.
 */
color: string, 
/**
 * Line width (text: size), 1 to 32, in thousandths of the target's width.
 */
width: number, 
/**
 * Erased, cleared or undone (kept while someone can still undo that).
 */
hidden: boolean, };

export type ImageSource = "screenshot" | "file" | "camera";

export type BoardImage = { 
/**
 * The SHA-256 of the stored file, in hex.
 */
id: string, 
/**
 * Who shared it.
 */
by: string, 
/**
 * A name to show (the file name, or "Screenshot").
 */
name: string, 
/**
 * Where it came from.
 */
source: ImageSource, 
/**
 * Pixels across.
 */
width: number, 
/**
 * Pixels down.
 */
height: number, 
/**
 * Removed or undone (kept while someone can still undo that).
 */
hidden: boolean, };

export type BoardView = { 
/**
 * Who set it.
 */
by: string, 
/**
 * What is shown.
 */
target: BoardTarget, 
/**
 * The point at the middle of the view.
 */
center: [number, number], 
/**
 * 100 = the whole target fits; 10 to 2000.
 */
zoom_percent: number, };

export type BoardAction = { 
/**
 * `true`: the step showed these (added them); `false`: it hid them.
 */
showed: boolean, 
/**
 * Annotation ids.
 */
annotations: Array<string>, 
/**
 * Image ids.
 */
images: Array<string>, };

export type BoardHistory = { 
/**
 * Steps that can be undone, at most [`MAX_UNDO`].
 */
undo: Array<BoardAction>, 
/**
 * Steps undone that can be redone (cleared by any new step of theirs).
 */
redo: Array<BoardAction>, };

export type BoardState = { 
/**
 * Images in the order they were shared.
 */
images: Array<BoardImage>, 
/**
 * Annotations in the order they were drawn (later ones on top).
 */
annotations: Array<Annotation>, 
/**
 * The view the lead asks everyone to look at.
 */
view: BoardView | null, 
/**
 * Each participant's undo and redo stacks.
 */
history: { [key in string]?: BoardHistory }, };

export type NewAnnotation = { 
/**
 * See [`Annotation::id`].
 */
id: string, 
/**
 * What it is drawn on.
 */
target: BoardTarget, 
/**
 * What it looks like.
 */
shape: Shape, 
/**
 * `#rrggbb`.
 */
color: string, 
/**
 * 1 to 32.
 */
width: number, };

export type BoardOp = { "kind": "annotate", 
/**
 * The annotation.
 */
annotation: NewAnnotation, } | { "kind": "erase", 
/**
 * Its id.
 */
annotation_id: string, } | { "kind": "clear", 
/**
 * The image or screen.
 */
target: BoardTarget, } | { "kind": "remove_image", 
/**
 * Its id.
 */
image_id: string, } | { "kind": "set_view", 
/**
 * The view, without `by` (the host fills it in).
 */
view: ViewRequest | null, } | { "kind": "undo" } | { "kind": "redo" };

export type ViewRequest = { 
/**
 * What to show.
 */
target: BoardTarget, 
/**
 * The middle of the view.
 */
center: [number, number], 
/**
 * 10 to 2000.
 */
zoom_percent: number, };

export type BoardEvent = { "kind": "annotated", 
/**
 * The annotation.
 */
annotation: Annotation, } | { "kind": "image_added", 
/**
 * The image.
 */
image: BoardImage, } | { "kind": "hidden", 
/**
 * Who.
 */
by: string, 
/**
 * Annotation ids.
 */
annotations: Array<string>, 
/**
 * Image ids.
 */
images: Array<string>, } | { "kind": "undone", 
/**
 * Who.
 */
by: string, } | { "kind": "redone", 
/**
 * Who.
 */
by: string, } | { "kind": "view_set", 
/**
 * The view, or `None`: nobody leads.
 */
view: BoardView | null, };

export type PointerAt = { 
/**
 * What it is over.
 */
target: BoardTarget, 
/**
 * Where.
 */
at: [number, number], };

export type SessionSnapshot = { 
/**
 * The session.
 */
session_id: string, 
/**
 * The topic asked about.
 */
topic: string, 
/**
 * The requester's note.
 */
note: string | null, 
/**
 * Where the session is in its life.
 */
status: SessionStatus, 
/**
 * Why it ended, once [`SessionStatus::Ended`].
 */
end_reason: EndReason | null, 
/**
 * Place in the queue while waiting (1 = next), 0 otherwise.
 */
queue_position: number, 
/**
 * Estimated seconds until an expert joins, while waiting; 0 while nobody is on duty.
 */
estimated_wait_secs: number, 
/**
 * While waiting: how many experts who could take the request are on duty (available, in
 * a session or not). 0: nobody is, and the wait cannot be estimated.
 */
experts_on_duty: number, 
/**
 * While waiting: the requester asked to be called back, and the request waits until then.
 */
call_back_until: number | null, 
/**
 * Everyone who has joined, in order of joining.
 */
participants: Array<Participant>, 
/**
 * The chat so far, oldest first.
 */
chat: Array<ChatMessage>, 
/**
 * The co-browse board.
 */
board: BoardState, 
/**
 * The receiving participant's own id.
 */
you: string, 
/**
 * When the request was made.
 */
created_at: number, };

export type QueueEntry = { 
/**
 * The session.
 */
session_id: string, 
/**
 * The topic asked about.
 */
topic: string, 
/**
 * The requester's note.
 */
note: string | null, 
/**
 * The requester's name.
 */
requester_name: string, 
/**
 * The requester's app and OS, as they sent them.
 */
client: string, 
/**
 * When the request was made.
 */
waiting_since: number, 
/**
 * 1 = next to be offered; 0 = ringing on an expert's console now.
 */
position: number, 
/**
 * The topic is one of this expert's skills. Others are listed too: an expert may take
 * one anyway, which is recorded as an override.
 */
skill_match: boolean, };

export type Offer = { 
/**
 * The request being offered.
 */
entry: QueueEntry, 
/**
 * When the offer passes to the next expert unless accepted.
 */
expires_at: number, };

export type ClientMessage = { "type": "hello", 
/**
 * A participant token or a console ticket.
 */
token: string, 
/**
 * Must equal [`crate::PROTOCOL_VERSION`].
 */
protocol: number, 
/**
 * On reconnect: the last session `seq` this client saw.
 */
last_seq?: number, } | { "type": "chat", 
/**
 * The text.
 */
text: string, 
/**
 * Unique per sender; a resend with the same id is stored once.
 */
client_msg_id: string, } | { "type": "board", 
/**
 * Unique per sender (1 to 64 characters); a resend with the same id is applied once.
 */
op_id: string, 
/**
 * The change.
 */
op: BoardOp, } | { "type": "pointer", 
/**
 * The pointer.
 */
pointer: PointerAt | null, } | { "type": "hand_over", 
/**
 * The other expert's user name.
 */
to_username: string, } | { "type": "end_session" } | { "type": "call_back" } | { "type": "ping", 
/**
 * Echoed back.
 */
nonce: number, } | { "type": "signal", 
/**
 * The participant it is for.
 */
to: string, 
/**
 * The offer, answer, candidate or hang-up.
 */
signal: Signal, } | { "type": "set_media", 
/**
 * The sender's media now.
 */
media: MediaState, } | { "type": "set_availability", 
/**
 * `true` = available.
 */
available: boolean, } | { "type": "accept", 
/**
 * The offered session.
 */
session_id: string, } | { "type": "decline", 
/**
 * The offered session.
 */
session_id: string, } | { "type": "take", 
/**
 * The waiting session.
 */
session_id: string, 
/**
 * Take it although its topic is not one of the expert's skills (recorded).
 */
skill_override?: boolean, };

export type ServerMessage = { "type": "welcome", 
/**
 * The session as it is now.
 */
snapshot: SessionSnapshot, 
/**
 * The session's latest `seq`; events after it follow.
 */
seq: number, 
/**
 * `true` when the events after the client's `last_seq` follow instead of a fresh start.
 */
resumed: boolean, 
/**
 * ICE servers for this participant's peer connections (TURN credentials are valid
 * for the participant token's lifetime); empty: host candidates only.
 */
ice_servers: Array<IceServer>, } | { "type": "queue", 
/**
 * 1 = next to be offered.
 */
position: number, 
/**
 * Estimated seconds until an expert joins; 0 while nobody is on duty.
 */
estimated_wait_secs: number, 
/**
 * Experts on duty who could take the request (see
 * [`SessionSnapshot::experts_on_duty`]). Absent in events stored before it was sent:
 * read as 0.
 */
experts_on_duty: number | undefined, } | { "type": "call_back", 
/**
 * When the request ends unless an expert takes it.
 */
until: number, } | { "type": "status", 
/**
 * The new status.
 */
status: SessionStatus, } | { "type": "participant_joined", 
/**
 * Who.
 */
participant: Participant, } | { "type": "presence", 
/**
 * Who.
 */
participant_id: string, 
/**
 * Whether they are connected now.
 */
online: boolean, } | { "type": "chat", 
/**
 * The message.
 */
message: ChatMessage, } | { "type": "board", 
/**
 * Who changed it.
 */
by: string, 
/**
 * The sender's `op_id` (absent when the host made the change, e.g. an upload).
 */
op_id?: string, 
/**
 * What happened.
 */
event: BoardEvent, } | { "type": "board_rejected", 
/**
 * The operation's `op_id`.
 */
op_id: string, 
/**
 * Why.
 */
error: ApiError, } | { "type": "pointer", 
/**
 * Whose.
 */
from: string, 
/**
 * Where, or `None`: off the board.
 */
pointer: PointerAt | null, } | { "type": "media", 
/**
 * Who.
 */
participant_id: string, 
/**
 * Their media now.
 */
media: MediaState, } | { "type": "signal", 
/**
 * The participant who sent it.
 */
from: string, 
/**
 * The offer, answer, candidate or hang-up.
 */
signal: Signal, } | { "type": "handed_over", 
/**
 * The participant who left.
 */
from: string, 
/**
 * The participant who took over.
 */
to: string, } | { "type": "removed", 
/**
 * The guest who was removed (now `left`).
 */
participant_id: string, 
/**
 * Who removed them.
 */
by: string, } | { "type": "ended", 
/**
 * Why.
 */
reason: EndReason, } | { "type": "console_welcome", 
/**
 * The signed-in expert.
 */
expert: ExpertProfile, 
/**
 * Whether the expert takes offers now.
 */
available: boolean, 
/**
 * Requests waiting that this expert could take, oldest first, at most
 * [`crate::MAX_CONSOLE_QUEUE`].
 */
queue: Array<QueueEntry>, 
/**
 * How many requests this expert could take wait in all.
 */
queue_total: number, 
/**
 * The offer ringing now, if any.
 */
offer: Offer | null, 
/**
 * The session the expert is in, if any.
 */
active_session: string | null, } | { "type": "queue_update", 
/**
 * Requests waiting that this expert could take, oldest first, at most
 * [`crate::MAX_CONSOLE_QUEUE`].
 */
queue: Array<QueueEntry>, 
/**
 * How many requests this expert could take wait in all.
 */
queue_total: number, } | { "type": "offered", 
/**
 * The offer.
 */
offer: Offer, } | { "type": "offer_withdrawn", 
/**
 * The session that was offered.
 */
session_id: string, 
/**
 * Why.
 */
reason: WithdrawReason, } | { "type": "joined", 
/**
 * The session.
 */
session_id: string, 
/**
 * The co-browse site.
 */
site_url: string, 
/**
 * The expert's participant token for the session socket.
 */
participant_token: string, } | { "type": "session_closed", 
/**
 * The session.
 */
session_id: string, 
/**
 * Why.
 */
reason: EndReason, } | { "type": "pong", 
/**
 * The client's nonce.
 */
nonce: number, } | { "type": "error", 
/**
 * What was wrong.
 */
error: ApiError, };

export type ServerFrame = { 
/**
 * Session sequence number of a session event; absent on replies and console messages.
 */
seq: number | null, 
/**
 * The message.
 */
msg: ServerMessage, };

export type AppPhase = "unenrolled" | "idle" | "requesting" | "waiting" | "in_session" | "ended";

export type ConnectionState = "offline" | "connecting" | "connected" | "reconnecting";

export type AppPolicy = { 
/**
 * Where the policy file is, to name it in messages.
 */
path: string, 
/**
 * The help host address the policy sets, if it sets one.
 */
host_url: string | null, 
/**
 * Whether the host address is locked: shown read-only, and the app refuses another.
 */
host_locked: boolean, 
/**
 * The file is there but cannot be used (`policy_invalid`): until IT fixes it the app says
 * so and does not enrol (an existing enrolment keeps working).
 */
error: ApiError | null, };

export type PendingEnrolmentLink = { 
/**
 * The host the link would enrol this computer with (normalised).
 */
host_url: string, };

export type AppState = { 
/**
 * Which screen.
 */
phase: AppPhase, 
/**
 * The host this app is enrolled with (or was last told about).
 */
host_url: string | null, 
/**
 * The enrolled employee's name.
 */
employee_name: string | null, 
/**
 * Topics the host routes, for the picker.
 */
topics: Array<Topic>, 
/**
 * The current or last session.
 */
session: SessionSnapshot | null, 
/**
 * The session socket.
 */
connection: ConnectionState, 
/**
 * Why the session ended, in [`AppPhase::Ended`].
 */
end_reason: EndReason | null, 
/**
 * The last error to show, in plain words; cleared by the next successful action.
 */
error: ApiError | null, 
/**
 * The app's version.
 */
app_version: string, 
/**
 * The help desk now (experts on duty and the expected wait per topic), for the idle
 * screen; refreshed while idle. `None` until the host has answered.
 */
desk: DeskOutlook | null, 
/**
 * What the IT department's policy file sets on this computer; `None` without one.
 */
policy: AppPolicy | null, 
/**
 * An enrolment link the user opened, waiting for them to confirm its host (the code stays
 * on the Rust side).
 */
enrolment_link: PendingEnrolmentLink | null, };
