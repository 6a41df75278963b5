// Turning error codes and end reasons into sentences people can act on.
import type { ApiError, EndReason, ErrorCode, Role, WithdrawReason } from '../generated/protocol';

const ERROR_CODES: readonly ErrorCode[] = [
  'bad_request', 'unauthenticated', 'device_revoked', 'enrolment_code_invalid',
  'enrolment_code_used', 'bad_credentials', 'forbidden', 'not_found', 'session_ended',
  'conflict', 'participant_offline', 'message_too_large', 'rate_limited', 'hello_expected', 'unsupported_version',
  'unknown_topic', 'skill_mismatch', 'cross_site', 'method_not_allowed', 'busy',
  'quota_exceeded', 'storage_full', 'internal', 'host_unreachable', 'keychain',
  'policy_invalid', 'set_by_policy', 'enrolment_link_refused',
];

/** Whether `value` has the shape of an `ApiError` with a known code. */
export function isApiError(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string'
    && (ERROR_CODES as readonly string[]).includes(v.code);
}

/** Anything thrown or rejected, as an `ApiError`. */
export function toApiError(value: unknown): ApiError {
  if (isApiError(value)) return value;
  if (value instanceof ApiRequestError) return value.apiError;
  if (typeof value === 'string') return { code: 'internal', message: value };
  if (value instanceof Error) return { code: 'internal', message: value.message };
  return { code: 'internal', message: 'Unknown error' };
}

/** An HTTP request that failed, carrying the host's `ApiError`. */
export class ApiRequestError extends Error {
  constructor(
    readonly apiError: ApiError,
    readonly status: number,
  ) {
    super(apiError.message);
    this.name = 'ApiRequestError';
  }
}

/** A sentence for an error; `hostUrl` names the host when it could not be reached. */
export function describeError(error: ApiError, hostUrl?: string | null): string {
  switch (error.code) {
    case 'host_unreachable':
      return hostUrl
        ? `Can't reach the help host at ${hostUrl}. Check your network or the address.`
        : "Can't reach the help host. Check your network or the address.";
    case 'enrolment_code_invalid':
      return "That enrolment code isn't valid. Check it for typos, or ask IT for a new one.";
    case 'enrolment_code_used':
      return 'That enrolment code has already been used. Ask IT for a new one.';
    case 'bad_credentials':
      return 'The user name or password is not right.';
    case 'unauthenticated':
      return "The help host didn't recognise you. Sign in or enrol again.";
    case 'device_revoked':
      return "This device's access was removed. Enrol again with a new code from IT.";
    case 'keychain':
      return "Instant Share couldn't use the system keychain. Unlock it and try again.";
    case 'unknown_topic':
      return "The help host doesn't handle that topic. Pick another one.";
    case 'skill_mismatch':
      return 'That request is about a topic outside your skills. Take it anyway only if you can help.';
    case 'rate_limited':
      return 'Too much at once. Wait a moment and try again.';
    case 'busy':
      return 'The help host is busy right now. Try again in a few seconds.';
    // The host's message names the limit and when it frees up.
    case 'quota_exceeded':
      return error.message ? `Limit reached: ${error.message}` : 'A limit of the help host is reached. Try again later.';
    case 'storage_full':
      return 'The help host has no room for more pictures. Tell your IT department.';
    case 'message_too_large':
      return 'That message is too long.';
    case 'session_ended':
      return 'This session has already ended.';
    case 'not_found':
      return "That isn't there any more.";
    case 'conflict':
      return 'Someone else got there first, or it has changed in the meantime.';
    case 'participant_offline':
      return 'The other person is not connected right now.';
    case 'forbidden':
      return "You aren't allowed to do that.";
    case 'cross_site':
      return 'The request was blocked because it came from another site. Reload the page.';
    case 'method_not_allowed':
    case 'hello_expected':
    case 'unsupported_version':
      return "This version doesn't match the help host. Reload the page or update the app.";
    case 'bad_request':
      return error.message ? `The help host refused the request: ${error.message}` : 'The help host refused the request.';
    case 'internal':
      return 'Something went wrong. Try again in a moment.';
    // The app's own refusals: its Rust side writes each sentence for this one case (which file,
    // which host, what to do).
    case 'policy_invalid':
    case 'set_by_policy':
    case 'enrolment_link_refused':
      return error.message;
  }
}

/** Why a session ended, from the point of view of `viewer` (`null` when unknown). */
export function describeEndReason(reason: EndReason | null, viewer: Role | null = null): string {
  switch (reason) {
    case 'cancelled':
      return 'The request was cancelled before an expert joined.';
    case 'ended_by_requester':
      return viewer === 'requester' ? 'You ended the session.' : 'The person asking for help ended the session.';
    case 'ended_by_expert':
      return viewer === 'expert' ? 'You ended the session.' : 'The expert ended the session.';
    case 'no_expert_available':
      return 'No expert was available this time. Please try again a little later.';
    case 'idle_timeout':
      return 'The session ended because nothing happened for a while.';
    case 'max_duration':
      return 'The session reached its maximum length.';
    case null:
      return 'The session has ended.';
  }
}

/**
 * Why an offer stopped ringing, for the expert it rang for. The console does not know who else
 * is on duty, so none of this says where the request went: only that it is back in the queue.
 */
export function describeWithdrawal(reason: WithdrawReason): string {
  switch (reason) {
    case 'timeout':
      return 'The request was not answered in time. It is back in the queue.';
    case 'declined':
      return 'You declined the request. It goes back to the queue: it is offered to other experts first, and to you again in a few seconds if nobody else takes it.';
    case 'request_ended':
      return 'The person asking for help cancelled the request.';
    case 'expert_unavailable':
      return 'The request was withdrawn because you are away.';
    case 'taken':
      return 'Another expert took this request from the queue.';
  }
}

/** Why taking a request from the queue was refused, in the console's words. */
export function describeTakeError(error: ApiError): string {
  switch (error.code) {
    case 'skill_mismatch':
      return 'That request is about a topic outside your skills. Press Take again and confirm to take it anyway.';
    case 'conflict':
      // The host says which: another expert was quicker, or this one is in a session.
      return error.message ? hostSentence(error) : 'Another expert has taken that request, or you are in a session.';
    case 'not_found':
      return 'That request is no longer waiting: it was cancelled or has ended.';
    default:
      return describeError(error);
  }
}

/** Codes whose message from the host says exactly what was wrong with the request. */
const OWN_WORDS: ReadonlySet<string> = new Set(['bad_request', 'conflict', 'message_too_large', 'forbidden', 'not_found']);

/**
 * The host's own words for a refused request about one thing (a picture, an invitation, a
 * hand-over) as a sentence, where they say more than `describeError` would.
 */
export function hostSentence(error: ApiError): string {
  if (!OWN_WORDS.has(error.code) || !error.message) return describeError(error);
  const m = error.message;
  return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? '' : '.');
}
