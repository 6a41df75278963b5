// What a participant of one session asks the host over HTTP with its token (besides the
// pictures, lib/board/pictures.svelte.ts): inviting and removing a guest, bringing in a
// colleague, handing the session over.
import type { ApiError, GuestInvite } from '../generated/protocol';
import { hostSentence } from './errors';

export class ParticipantApi {
  constructor(
    private readonly sessionId: string,
    private readonly token: string,
  ) {}

  /** POSTs `body` to the session's `path` (or DELETEs it, with `null`); the response if its status is `ok`, else the host's refusal as an error. */
  async #send(path: string, body: unknown, ok: number, method: 'POST' | 'DELETE' = 'POST'): Promise<Response> {
    const r = await fetch(`/api/v1/sessions/${encodeURIComponent(this.sessionId)}/${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === null ? {} : { 'content-type': 'application/json' }) },
      body: body === null ? null : JSON.stringify(body),
    });
    if (r.status === ok) return r;
    const e = (await r.json().catch(() => null)) as ApiError | null;
    throw new Error(e ? hostSentence(e) : `The host refused (${r.status}).`);
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
