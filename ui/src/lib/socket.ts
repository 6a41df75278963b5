// A WebSocket to the host that says hello on every connect and reconnects with backoff.
import type { ClientMessage, ConnectionState, ServerFrame } from '../generated/protocol';

export interface SocketCallbacks {
  /**
   * The hello for the next attempt (a console needs a fresh ticket each time). Throwing makes
   * the socket try again later, unless `helloFailed` says to stop.
   */
  hello(): Promise<ClientMessage>;
  /** `hello()` threw; return `true` to stop reconnecting. */
  helloFailed?(error: unknown): boolean;
  /** The socket opened and the hello went out. */
  opened?(): void;
  /** A frame arrived. */
  frame(frame: ServerFrame): void;
  /** The connection state changed (`connected` comes from `markConnected`). */
  state(state: ConnectionState): void;
}

const PING_EVERY_MS = 25_000;
const MAX_BACKOFF_MS = 10_000;

/** The host's WebSocket, on the page's own origin. */
export function wsUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}/api/v1/ws`;
}

export class ResilientSocket {
  #callbacks: SocketCallbacks;
  #ws: WebSocket | null = null;
  #attempt = 0;
  #everConnected = false;
  #stopped = true;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #nonce = 0;
  #onOnline = () => {
    if (!this.#stopped && this.#ws === null) this.#retryNow();
  };

  constructor(callbacks: SocketCallbacks) {
    this.#callbacks = callbacks;
  }

  /** Connects (once); reconnects until `stop()`. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    window.addEventListener('online', this.#onOnline);
    void this.#connect();
  }

  /** Closes the socket and stops reconnecting. */
  stop(): void {
    this.#stopped = true;
    window.removeEventListener('online', this.#onOnline);
    this.#clearTimers();
    const ws = this.#ws;
    this.#ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'bye');
    this.#callbacks.state('offline');
  }

  /** The host accepted the hello: reset the backoff and report `connected`. */
  markConnected(): void {
    this.#attempt = 0;
    this.#everConnected = true;
    this.#callbacks.state('connected');
  }

  /** Sends if open; `false` when the message could not go out now. */
  send(message: ClientMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#callbacks.state(this.#everConnected || this.#attempt > 0 ? 'reconnecting' : 'connecting');
    let hello: ClientMessage;
    try {
      hello = await this.#callbacks.hello();
    } catch (error) {
      if (this.#callbacks.helloFailed?.(error)) {
        this.stop();
      } else {
        this.#scheduleRetry();
      }
      return;
    }
    if (this.#stopped) return;

    const ws = new WebSocket(wsUrl());
    this.#ws = ws;
    ws.addEventListener('open', () => {
      if (this.#ws !== ws) return;
      ws.send(JSON.stringify(hello));
      this.#callbacks.opened?.();
      this.#pingTimer = setInterval(() => {
        this.#nonce += 1;
        this.send({ type: 'ping', nonce: this.#nonce });
      }, PING_EVERY_MS);
    });
    ws.addEventListener('message', (event: MessageEvent) => {
      if (this.#ws !== ws || typeof event.data !== 'string') return;
      const frame = parseFrame(event.data);
      if (frame) this.#callbacks.frame(frame);
    });
    ws.addEventListener('close', () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#clearTimers();
      if (!this.#stopped) this.#scheduleRetry();
    });
  }

  #scheduleRetry(): void {
    if (this.#stopped) return;
    this.#callbacks.state('reconnecting');
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.#attempt);
    this.#attempt += 1;
    const delay = base * (0.75 + Math.random() * 0.5);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#connect();
    }, delay);
  }

  #retryNow(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    void this.#connect();
  }

  #clearTimers(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#retryTimer = null;
    this.#pingTimer = null;
  }
}

function parseFrame(text: string): ServerFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { seq, msg } = value as { seq?: unknown; msg?: unknown };
  if (typeof msg !== 'object' || msg === null || typeof (msg as { type?: unknown }).type !== 'string') {
    return null;
  }
  return { seq: typeof seq === 'number' ? seq : null, msg: msg as ServerFrame['msg'] };
}
