// A participant's connection to one session over the WebSocket: snapshot, ordered events,
// resume with `last_seq`, and chat messages kept until the host has them. Calls (media/) listen
// to it for welcomes, session events and signals, and send through it.
import {
  PROTOCOL_VERSION,
  type ApiError,
  type BoardOp,
  type ChatMessage,
  type ClientMessage,
  type ConnectionState,
  type ServerFrame,
  type ServerMessage,
  type PointerAt,
  type SessionSnapshot,
} from '../generated/protocol';
import { applySessionEvent } from './session-state';
import { newMessageId } from './ids';
import type { IceServer, Signal } from './media/wire';
import { ResilientSocket } from './socket';

/** A board operation sent by this client that the host has not applied or refused yet. */
export interface PendingOp {
  op_id: string;
  op: BoardOp;
}

/** Where another participant's pointer is, and when it last moved (`performance.now()`). */
export interface RemotePointer {
  pointer: PointerAt;
  at: number;
}

/** A chat message sent by this client that the host has not echoed yet. */
export interface PendingChat {
  client_msg_id: string;
  text: string;
}

/** What a listener hears, after the connection's own state has taken it in. */
export type SessionEvent =
  /** The host accepted this socket's hello (again, after a reconnect). */
  | { kind: 'welcome'; resumed: boolean }
  /** A session event was applied to `snapshot`. */
  | { kind: 'event'; msg: ServerMessage }
  /** Signalling from another participant (not a session event: no `seq`). */
  | { kind: 'signal'; from: string; signal: Signal }
  /** An error the host answered a call-related message with (e.g. `participant_offline`). */
  | { kind: 'error'; error: ApiError }
  | { kind: 'connection'; state: ConnectionState };

/** Errors that concern a call, not the session: the calls handle them, nothing is shown. */
const CALL_CODES: ReadonlySet<string> = new Set(['participant_offline']);
const INVALID_CODES: ReadonlySet<string> = new Set(['unauthenticated', 'not_found', 'forbidden']);
const FATAL_CODES: ReadonlySet<string> = new Set(['unsupported_version', 'hello_expected']);

export class SessionConnection {
  /** The session as this participant sees it; `null` until the first welcome. */
  snapshot = $state<SessionSnapshot | null>(null);
  connection = $state<ConnectionState>('connecting');
  /** The token was refused: show nothing about the session. */
  invalid = $state(false);
  /** The last error worth telling the user about. */
  error = $state<ApiError | null>(null);
  /** Sent but not yet confirmed by the host; resent after a reconnect. */
  pending = $state<PendingChat[]>([]);
  /** STUN/TURN servers from the last welcome. */
  iceServers = $state.raw<IceServer[]>([]);
  /** Board operations sent and not yet applied; resent after a reconnect (applied once). */
  pendingOps = $state<PendingOp[]>([]);
  /** The others' pointers on the board (not stored by the host: only what moved lately). */
  pointers = $state<Record<string, RemotePointer>>({});
  /** This participant handed the session over to this person (and is out of it). */
  handedOverTo = $state<string | null>(null);
  /** This participant (a guest) was removed by this person (and is out of it). */
  removedBy = $state<string | null>(null);
  /** This participant left the session (a guest or an expert beside the one in charge). */
  leftSession = $state(false);
  /** This page is no longer in the session: removed, left, handed over, or refused. */
  get out(): boolean {
    return this.invalid || this.leftSession || this.removedBy !== null || this.handedOverTo !== null;
  }
  /** Why the host refused this participant's last board operation, until the next one. */
  boardError = $state<ApiError | null>(null);

  #token: string;
  #lastSeq: number | null = null;
  #answered = false;
  #socket: ResilientSocket;
  #retryPendingTimer: ReturnType<typeof setTimeout> | null = null;
  #listeners = new Set<(event: SessionEvent) => void>();

  constructor(token: string) {
    this.#token = token;
    this.#socket = new ResilientSocket({
      hello: async () => ({
        type: 'hello',
        token: this.#token,
        protocol: PROTOCOL_VERSION,
        ...(this.#lastSeq !== null ? { last_seq: this.#lastSeq } : {}),
      }),
      opened: () => {
        this.#answered = false;
      },
      frame: (frame) => this.#onFrame(frame),
      state: (state) => {
        this.connection = state;
        this.#emit({ kind: 'connection', state });
      },
    });
  }

  /** Hears every welcome, applied event, signal and call error; returns the unsubscribe. */
  listen(listener: (event: SessionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends a message if the socket is welcomed; `false` when it could not go out now. */
  send(message: ClientMessage): boolean {
    if (this.connection !== 'connected') return false;
    return this.#socket.send(message);
  }

  start(): void {
    this.#socket.start();
  }

  stop(): void {
    if (this.#retryPendingTimer !== null) clearTimeout(this.#retryPendingTimer);
    this.#socket.stop();
  }

  get ended(): boolean {
    return this.snapshot?.status === 'ended';
  }

  /** Queues a chat message and sends it now if connected. */
  sendChat(text: string): void {
    const item: PendingChat = { client_msg_id: newMessageId(), text };
    this.pending.push(item);
    if (this.connection === 'connected') {
      this.#socket.send({ type: 'chat', text: item.text, client_msg_id: item.client_msg_id });
    }
  }

  /** Sends a board operation (now if connected, else after the reconnect); returns its id. */
  sendBoard(op: BoardOp): string {
    const item: PendingOp = { op_id: newMessageId(), op };
    this.pendingOps.push(item);
    this.boardError = null;
    if (this.connection === 'connected') this.#socket.send({ type: 'board', ...item });
    return item.op_id;
  }

  /** Tells the others where this participant's pointer is (`null`: off the board). */
  sendPointer(pointer: PointerAt | null): void {
    if (this.connection === 'connected') this.#socket.send({ type: 'pointer', pointer });
  }

  /** The expert hands the session over to another expert (by user name). */
  handOver(toUsername: string): boolean {
    if (this.connection !== 'connected') return false;
    return this.#socket.send({ type: 'hand_over', to_username: toUsername });
  }

  /** Asks the host to end the session; `false` when not connected. */
  endSession(): boolean {
    if (this.connection !== 'connected') return false;
    return this.#socket.send({ type: 'end_session' });
  }

  #onFrame(frame: ServerFrame): void {
    const msg = frame.msg;
    if (msg.type === 'error') {
      this.#onError(msg.error);
      return;
    }
    if (msg.type === 'pong') return;
    if (msg.type === 'welcome') {
      this.#answered = true;
      this.iceServers = msg.ice_servers ?? [];
      this.#onWelcome(msg.snapshot, msg.seq, msg.resumed);
      if (this.connection === 'connected') this.#emit({ kind: 'welcome', resumed: msg.resumed });
      return;
    }
    if (msg.type === 'signal') {
      this.#emit({ kind: 'signal', from: msg.from, signal: msg.signal });
      return;
    }
    if (msg.type === 'pointer') {
      if (msg.pointer) this.pointers[msg.from] = { pointer: msg.pointer, at: performance.now() };
      else delete this.pointers[msg.from];
      return;
    }
    if (msg.type === 'board_rejected') {
      this.pendingOps = this.pendingOps.filter((p) => p.op_id !== msg.op_id);
      this.boardError = msg.error;
      return;
    }
    if (frame.seq !== null) {
      if (this.#lastSeq !== null && frame.seq <= this.#lastSeq) return;
      this.#lastSeq = frame.seq;
    }
    this.#apply(msg);
    this.#emit({ kind: 'event', msg });
  }

  #emit(event: SessionEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (e) {
        console.error('session listener failed', e);
      }
    }
  }

  #onWelcome(snapshot: SessionSnapshot, seq: number, resumed: boolean): void {
    // Resumed: this page's own state is the session as of its `last_seq`, and exactly the
    // events after it follow (the welcome's snapshot already holds them: applying them on top
    // of it would repeat board changes). Otherwise start from the snapshot.
    if (!resumed || this.#lastSeq === null || this.snapshot === null) {
      this.snapshot = snapshot;
      this.#lastSeq = seq;
    } else if (snapshot.status === 'ended') {
      // Over while this page was away: the socket stops below, before the missed events
      // (ending with `ended`) could be applied; the welcome's snapshot already holds them all.
      this.snapshot = snapshot;
      this.#lastSeq = seq;
    }
    this.error = null;
    this.#forgetConfirmed(snapshot.chat);
    if (snapshot.status === 'ended') {
      this.#socket.stop();
      return;
    }
    this.#socket.markConnected();
    this.#flushPending();
    for (const item of this.pendingOps) this.#socket.send({ type: 'board', ...item });
  }

  #apply(msg: ServerMessage): void {
    const s = this.snapshot;
    if (!s) return;
    applySessionEvent(s, msg);
    // What the page does besides.
    switch (msg.type) {
      case 'handed_over':
        if (msg.from === s.you) {
          this.handedOverTo = s.participants.find((x) => x.id === msg.to)?.display_name ?? 'another expert';
          this.#socket.stop();
        }
        break;
      case 'removed':
        if (msg.participant_id === s.you) {
          if (msg.by === s.you) this.leftSession = true;
          else this.removedBy = s.participants.find((x) => x.id === msg.by)?.display_name ?? 'someone in the session';
          this.#socket.stop();
        }
        break;
      case 'board':
        if (msg.by === s.you && msg.op_id) this.pendingOps = this.pendingOps.filter((p) => p.op_id !== msg.op_id);
        break;
      case 'chat':
        this.#forgetConfirmed([msg.message]);
        break;
      case 'ended':
        this.#socket.stop();
        break;
      default:
        break;
    }
  }

  #onError(error: ApiError): void {
    if (this.#answered && CALL_CODES.has(error.code)) {
      this.#emit({ kind: 'error', error });
      return;
    }
    const answer = !this.#answered;
    this.#answered = true;
    if (answer && INVALID_CODES.has(error.code)) {
      // Refused on joining, or on coming back (removed or handed over while away): out.
      this.invalid = true;
      this.#socket.stop();
      return;
    }
    if (answer && error.code === 'session_ended') {
      this.#socket.stop();
      if (this.snapshot) this.snapshot.status = 'ended';
      else this.error = error;
      return;
    }
    if (FATAL_CODES.has(error.code)) {
      this.#socket.stop();
      this.error = error;
      return;
    }
    this.error = error;
    if (error.code === 'rate_limited' && this.#retryPendingTimer === null) {
      this.#retryPendingTimer = setTimeout(() => {
        this.#retryPendingTimer = null;
        this.#flushPending();
      }, 2000);
    }
  }

  #flushPending(): void {
    if (this.connection !== 'connected') return;
    for (const item of this.pending) {
      this.#socket.send({ type: 'chat', text: item.text, client_msg_id: item.client_msg_id });
    }
  }

  #forgetConfirmed(messages: ChatMessage[]): void {
    const you = this.snapshot?.you;
    if (this.pending.length === 0 || you === undefined) return;
    const confirmed = new Set(messages.filter((m) => m.from === you).map((m) => m.client_msg_id));
    if (confirmed.size > 0) this.pending = this.pending.filter((p) => !confirmed.has(p.client_msg_id));
  }
}
