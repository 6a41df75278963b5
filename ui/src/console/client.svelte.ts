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
} from '../generated/protocol';
import { api } from '../lib/api';
import { ApiRequestError, describeEndReason, describeError, describeWithdrawal, toApiError } from '../lib/errors';
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

export interface Notice {
  kind: 'info' | 'error';
  text: string;
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
          this.#signedOut({ kind: 'info', text: 'You were signed out. Please sign in again.' });
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
      else this.notice = { kind: 'error', text: describeError(e) };
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
    } else {
      this.notice = { kind: 'error', text: 'Not connected to the help host yet. Try again in a moment.' };
    }
  }

  accept(): void {
    const offer = this.offer;
    if (!offer || this.answering) return;
    if (this.#socket.send({ type: 'accept', session_id: offer.entry.session_id })) {
      this.answering = true;
    } else {
      this.notice = { kind: 'error', text: 'Not connected to the help host, so the request could not be accepted.' };
    }
  }

  decline(): void {
    const offer = this.offer;
    if (!offer || this.answering) return;
    if (this.#socket.send({ type: 'decline', session_id: offer.entry.session_id })) {
      this.offer = null;
    }
  }

  /**
   * The expert's session ended. The session page keeps showing why until the expert goes back;
   * the console then says it too.
   */
  sessionEnded(sessionId: string, reason: EndReason | null): void {
    if (this.activeSession !== sessionId) return;
    this.activeSession = null;
    this.notice = { kind: 'info', text: `Your last session ended. ${describeEndReason(reason, 'expert')}` };
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
    this.activeSession = null;
    this.available = false;
    this.welcomed = false;
    this.notice = notice;
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
        this.activeSession = msg.active_session;
        this.welcomed = true;
        this.#socket.markConnected();
        break;
      case 'queue_update':
        this.queue = msg.queue;
        this.queueTotal = msg.queue_total;
        break;
      case 'offered':
        this.offer = msg.offer;
        this.answering = false;
        break;
      case 'offer_withdrawn':
        if (this.offer?.entry.session_id === msg.session_id) {
          this.offer = null;
          this.answering = false;
          if (msg.reason !== 'declined') this.notice = { kind: 'info', text: describeWithdrawal(msg.reason) };
        }
        break;
      case 'joined':
        this.offer = null;
        this.answering = false;
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
          this.answering = false;
          this.notice = { kind: 'error', text: describeError(msg.error) };
        }
        break;
      default:
        break;
    }
  }
}

export const consoleClient = new ConsoleClient();
