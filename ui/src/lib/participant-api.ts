// What a participant of one session asks the host over HTTP with its token (besides the
// pictures, lib/board/pictures.svelte.ts): inviting and removing a guest, bringing in a
// colleague, handing the session over, and after the end the requester's feedback and the
// expert's wrap-up.
import type { ApiError, Feedback, GuestInvite, WrapUp } from '../generated/protocol';
import { hostSentence } from './errors';

/** A refusal of the host, with its code (the message is already a sentence for people). */
export class ParticipantApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'ParticipantApiError';
  }
}

export class ParticipantApi {
  constructor(
    private readonly sessionId: string,
    private readonly token: string,
  ) {}

  /** POSTs `body` to the session's `path` (or DELETEs it, with `null`); the response if its status is `ok`, else the host's refusal as an error. */
  async #send(path: string, body: unknown, ok: number, method: 'POST' | 'DELETE' = 'POST'): Promise<Response> {
    let r: Response;
    try {
      r = await fetch(`/api/v1/sessions/${encodeURIComponent(this.sessionId)}/${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === null ? {} : { 'content-type': 'application/json' }) },
        body: body === null ? null : JSON.stringify(body),
      });
    } catch {
      throw new ParticipantApiError("Can't reach the help host. Check your network and try again.", 0, 'host_unreachable');
    }
    if (r.status === ok) return r;
    const e = (await r.json().catch(() => null)) as ApiError | null;
    throw new ParticipantApiError(e ? hostSentence(e) : `The host refused (${r.status}).`, r.status, e?.code ?? null);
  }

  /**
   * POSTs what is said about an ended session. The page learns of the end over its socket,
   * possibly a moment before the host's records have it (then `conflict`): asked again a few
   * times before that counts as a refusal.
   */
  async #afterEnd(path: string, body: unknown): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#send(path, body, 204);
        return;
      } catch (e) {
        if (!(e instanceof ParticipantApiError) || e.code !== 'conflict' || attempt >= 3) throw e;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** The requester's answer to "did this solve it?" (a second one replaces the first). */
  async feedback(feedback: Feedback): Promise<void> {
    await this.#afterEnd('feedback', feedback);
  }

  /** The expert's record of how the session ended (a second one replaces the first). */
  async wrapUp(wrapUp: WrapUp): Promise<void> {
    await this.#afterEnd('wrap-up', wrapUp);
  }

  /** Invites one more person by link. */
  async invite(name: string, mayDraw: boolean): Promise<GuestInvite> {
    return (await (await this.#send('guests', { display_name: name, may_draw: mayDraw }, 201)).json()) as GuestInvite;
  }

  /** Removes a guest: their link stops working and their place is free. */
  async removeGuest(participantId: string): Promise<void> {
    await this.#send(`guests/${encodeURIComponent(participantId)}`, null, 204, 'DELETE');
  }

  /** Brings in another expert beside this one (the expert in charge). */
  async bringIn(username: string): Promise<void> {
    await this.#send('experts', { username }, 204);
  }

  /** Hands the session over to another expert. */
  async handOver(username: string): Promise<void> {
    await this.#send('hand-over', { to_username: username }, 204);
  }
}
