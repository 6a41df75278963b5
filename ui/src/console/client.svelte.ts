// The expert console's state: sign-in, the console socket (a fresh ticket per connect), the
// queue, the ringing offer and the session the expert joins.
import {
  PROTOCOL_VERSION,
  type ConnectionState,
  type ConsoleTicket,
  type EndReason,
  type ExpertProfile,
  type Offer,
  type QueueEntry,
  type ServerMessage,
  type WithdrawReason,
} from '../generated/protocol';
import { api } from '../lib/api';
import {
  ApiRequestError,
  describeEndReason,
  describeError,
  describeTakeError,
  describeWithdrawal,
  toApiError,
} from '../lib/errors';
import { router } from '../lib/route.svelte';
import { ResilientSocket } from '../lib/socket';
import { storeToken } from '../lib/tokens';

/**
 * Set while this browser has a console sign-in, so a fresh browser shows the form without
 * first asking `/expert/me` (whose 401 would be logged as an error).
 */
const SIGNED_IN_HINT = 'instant-share.console.signed-in';

function setHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(SIGNED_IN_HINT, '1');
    else localStorage.removeItem(SIGNED_IN_HINT);
  } catch {
    // Storage disabled: the page asks the host each time instead.
  }
}

function hasHint(): boolean {
  try {
    return localStorage.getItem(SIGNED_IN_HINT) !== null;
  } catch {
    return true;
  }
}

export type ConsolePhase = 'checking' | 'signed_out' | 'signed_in';

/**
 * What a notice is about, so that it goes away once that changes: `offer` (an offer that stopped
 * ringing: gone when a new one rings), `away` (the expert was set away: gone when they are
 * available again), `take` (taking from the queue failed: gone with the next try or offer),
 * `session` (the last session ended), `connection` (the host could not be reached or refused).
 */
export type NoticeAbout = 'offer' | 'away' | 'take' | 'session' | 'connection';

export interface Notice {
  kind: 'info' | 'error';
  text: string;
  about: NoticeAbout;
  /** Offer the "Available" switch in the notice itself (the expert was set away). */
  offerAvailable?: boolean;
}

class ConsoleClient {
  phase = $state<ConsolePhase>('checking');
  expert = $state<ExpertProfile | null>(null);
  available = $state(false);
  queue = $state<QueueEntry[]>([]);
  /** How many requests this expert could take wait in all (the list is capped). */
  queueTotal = $state(0);
  offer = $state<Offer | null>(null);
  /** An accept or decline for the ringing offer is on its way. */
  answering = $state(false);
  /** The waiting request this expert asked to take from the queue, until joined or refused. */
  taking = $state<string | null>(null);
  activeSession = $state<string | null>(null);
  connection = $state<ConnectionState>('offline');
  /** The host has answered this sign-in's socket at least once. */
  welcomed = $state(false);
  notice = $state<Notice | null>(null);

  #started = false;
  #socket: ResilientSocket;

  constructor() {
    this.#socket = new ResilientSocket({
      hello: async () => {
        const ticket = await api<ConsoleTicket>('POST', '/api/v1/expert/ticket', {});
        return { type: 'hello', token: ticket.ticket, protocol: PROTOCOL_VERSION };
      },
      helloFailed: (error) => {
        if (error instanceof ApiRequestError && error.status === 401) {
          this.#signedOut({ kind: 'info', text: 'You were signed out. Please sign in again.', about: 'connection' });
          return true;
        }
        return false;
      },
      frame: (frame) => this.#onMessage(frame.msg),
      state: (state) => {
        this.connection = state;
      },
    });
  }

  /** Finds out whether the browser is signed in already (once per page). */
  async init(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (!hasHint()) {
      this.phase = 'signed_out';
      return;
    }
    try {
      const me = await api<ExpertProfile>('GET', '/api/v1/expert/me');
      this.#signedIn(me);
    } catch (error) {
      const e = toApiError(error);
      this.phase = 'signed_out';
      if (e.code === 'unauthenticated') setHint(false);
      else this.notice = { kind: 'error', text: describeError(e), about: 'connection' };
    }
  }

  /** Signs in; rejects with `ApiRequestError` for the form to show. */
  async login(username: string, password: string): Promise<void> {
    const profile = await api<ExpertProfile>('POST', '/api/v1/expert/login', { username, password });
    this.notice = null;
    this.#signedIn(profile);
  }

  async logout(): Promise<void> {
    this.#socket.stop();
    try {
      await api<void>('POST', '/api/v1/expert/logout', {});
    } catch {
      // The cookie is gone or the host is away; either way the page forgets the expert.
    }
    this.#signedOut(null);
  }

  setAvailable(available: boolean): void {
    if (this.#socket.send({ type: 'set_availability', available })) {
      this.available = available;
      if (available) this.#clearNotice('away');
    } else {
      this.notice = { kind: 'error', text: 'Not connected to the help host yet. Try again in a moment.', about: 'connection' };
    }
  }

  /** Whether a Take in the queue can go ahead now (not in a session, nothing on its way). */
  get mayTake(): boolean {
    return this.activeSession === null && !this.answering && this.taking === null;
  }

  accept(): void {
    const offer = this.offer;
    if (!offer || this.answering) return;
    if (this.#socket.send({ type: 'accept', session_id: offer.entry.session_id })) {
      this.answering = true;
    } else {
      this.notice = { kind: 'error', text: 'Not connected to the help host, so the request could not be accepted.', about: 'offer' };
    }
  }

  decline(): void {
    const offer = this.offer;
    if (!offer || this.answering) return;
    if (this.#socket.send({ type: 'decline', session_id: offer.entry.session_id })) {
      this.offer = null;
      this.notice = { kind: 'info', text: describeWithdrawal('declined'), about: 'offer' };
    }
  }

  /**
   * Takes a waiting request from the queue, ringing elsewhere or not, also while away. One
   * outside the expert's skills needs `skillOverride` (the queue asks first). Answered with
   * `joined` like an accepted offer, or an error.
   */
  take(sessionId: string, skillOverride: boolean): void {
    if (!this.mayTake) return;
    const sent = this.#socket.send({
      type: 'take',
      session_id: sessionId,
      ...(skillOverride ? { skill_override: true } : {}),
    });
    if (sent) {
      this.taking = sessionId;
      this.#clearNotice('take');
    } else {
      this.notice = { kind: 'error', text: 'Not connected to the help host, so the request could not be taken. Try again in a moment.', about: 'take' };
    }
  }

  /**
   * The expert's session ended. The session page keeps showing why until the expert goes back;
   * the console then says it too.
   */
  sessionEnded(sessionId: string, reason: EndReason | null): void {
    if (this.activeSession !== sessionId) return;
    this.activeSession = null;
    this.notice = { kind: 'info', text: `Your last session ended. ${describeEndReason(reason, 'expert')}`, about: 'session' };
  }

  #signedIn(profile: ExpertProfile): void {
    setHint(true);
    this.expert = profile;
    this.phase = 'signed_in';
    this.welcomed = false;
    this.#socket.start();
  }

  #signedOut(notice: Notice | null): void {
    setHint(false);
    this.#socket.stop();
    this.phase = 'signed_out';
    this.expert = null;
    this.queue = [];
    this.queueTotal = 0;
    this.offer = null;
    this.answering = false;
    this.taking = null;
    this.activeSession = null;
    this.available = false;
    this.welcomed = false;
    this.notice = notice;
  }

  /** What the console says when the offer on it stopped ringing. */
  #withdrawn(reason: WithdrawReason): Notice {
    switch (reason) {
      case 'timeout':
        // The host sets an expert who lets an offer ring out away (a welcome follows).
        return {
          kind: 'info',
          text: 'You did not answer in time, so you are now Away: nothing rings for you until you switch to Available. The request is back in the queue, where you can still take it.',
          about: 'away',
          offerAvailable: true,
        };
      case 'expert_unavailable':
        return { kind: 'info', text: describeWithdrawal(reason), about: 'away' };
      default:
        return { kind: 'info', text: describeWithdrawal(reason), about: 'offer' };
    }
  }

  /** Drops the notice if it is about one of `abouts`. */
  #clearNotice(...abouts: NoticeAbout[]): void {
    if (this.notice && abouts.includes(this.notice.about)) this.notice = null;
  }

  #onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'console_welcome':
        this.expert = msg.expert;
        this.available = msg.available;
        this.queue = msg.queue;
        this.queueTotal = msg.queue_total;
        this.offer = msg.offer;
        this.answering = false;
        // A welcome after a reconnect: an answer to a take sent before is not coming.
        if (msg.active_session === null) this.taking = null;
        this.activeSession = msg.active_session;
        this.welcomed = true;
        if (msg.available) this.#clearNotice('away');
        if (msg.offer) this.#clearNotice('offer', 'take');
        this.#socket.markConnected();
        break;
      case 'queue_update':
        this.queue = msg.queue;
        this.queueTotal = msg.queue_total;
        break;
      case 'offered':
        this.offer = msg.offer;
        this.answering = false;
        this.#clearNotice('offer', 'take');
        break;
      case 'offer_withdrawn':
        if (this.offer?.entry.session_id === msg.session_id) {
          this.offer = null;
          this.answering = false;
          this.notice = this.#withdrawn(msg.reason);
        }
        break;
      case 'joined':
        this.offer = null;
        this.answering = false;
        this.taking = null;
        this.activeSession = msg.session_id;
        this.notice = null;
        storeToken(msg.session_id, msg.participant_token);
        router.navigate(`/s/${encodeURIComponent(msg.session_id)}`);
        break;
      case 'session_closed':
        this.sessionEnded(msg.session_id, msg.reason);
        break;
      case 'error':
        // A refused ticket closes the socket and the next attempt fetches a new one.
        if (msg.error.code !== 'unauthenticated') {
          const taking = this.taking !== null;
          this.answering = false;
          this.taking = null;
          this.notice = taking
            ? { kind: 'error', text: describeTakeError(msg.error), about: 'take' }
            : { kind: 'error', text: describeError(msg.error), about: 'offer' };
        }
        break;
      default:
        break;
    }
  }
}

export const consoleClient = new ConsoleClient();
