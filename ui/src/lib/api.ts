// Fetch wrapper for the host's REST API: JSON in, JSON out, errors as `ApiRequestError`.
import type { ApiError } from '../generated/protocol';
import { ApiRequestError, isApiError } from './errors';

type Method = 'GET' | 'POST';

/**
 * Calls the host at `path` (same origin). A `POST` always sends a JSON body (the host's CSRF
 * rule). Resolves with the decoded body, or `undefined` for 204; rejects with `ApiRequestError`.
 */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  };
  if (method === 'POST') {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body ?? {});
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : 'network error';
    throw new ApiRequestError({ code: 'host_unreachable', message }, 0);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let decoded: unknown = undefined;
  if (text) {
    try {
      decoded = JSON.parse(text);
    } catch {
      decoded = undefined;
    }
  }
  if (!response.ok) {
    throw new ApiRequestError(errorFromStatus(response.status, decoded), response.status);
  }
  return decoded as T;
}

function errorFromStatus(status: number, body: unknown): ApiError {
  if (isApiError(body)) return body;
  if (status === 401) return { code: 'unauthenticated', message: `HTTP ${status}` };
  if (status === 403) return { code: 'forbidden', message: `HTTP ${status}` };
  if (status === 404) return { code: 'not_found', message: `HTTP ${status}` };
  if (status === 429) return { code: 'rate_limited', message: `HTTP ${status}` };
  if (status === 502 || status === 503 || status === 504) {
    return { code: 'host_unreachable', message: `HTTP ${status}` };
  }
  return { code: 'internal', message: `HTTP ${status}` };
}
