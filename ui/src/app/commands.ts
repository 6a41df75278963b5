// The app window's only way out: Tauri commands and the `app-state` event (CONTRACT.md).
import { invoke } from '@tauri-apps/api/core';
import type { UnlistenFn } from '@tauri-apps/api/event';
import type { AppState, Feedback } from '../generated/protocol';
import { ApiRequestError, toApiError } from '../lib/errors';
import { onAppEvent } from './events';
import type { UpdateView } from './update-types';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw new ApiRequestError(toApiError(error), 0);
  }
}

export const commands = {
  getState: () => call<AppState>('get_state'),
  enrol: (hostUrl: string, code: string, deviceName?: string) =>
    call<AppState>('enrol', { hostUrl, code, ...(deviceName ? { deviceName } : {}) }),
  startShare: (topic: string, note?: string) =>
    call<AppState>('start_share', { topic, ...(note ? { note } : {}) }),
  endSession: () => call<AppState>('end_session'),
  sendChat: (text: string) => call<null>('send_chat', { text }),
  dismiss: () => call<AppState>('dismiss'),
  callBack: () => call<AppState>('call_back'),
  sendFeedback: (feedback: Feedback) => call<null>('send_feedback', { feedback }),
  showWindow: () => call<null>('show_window'),
  forgetEnrolment: () => call<AppState>('forget_enrolment'),
  acceptEnrolmentLink: () => call<AppState>('accept_enrolment_link'),
  declineEnrolmentLink: () => call<AppState>('decline_enrolment_link'),
};

/** Calls `handler` with every `app-state` event; resolves to the function that stops it. */
export function onAppState(handler: (state: AppState) => void): Promise<UnlistenFn> {
  return onAppEvent('app-state', handler);
}

/** The app's own updates, from the help host (`src-tauri/src/updates.rs`). */
export const updates = {
  state: () => call<UpdateView>('update_state'),
  check: () => call<UpdateView>('update_check'),
  install: () => call<UpdateView>('update_install'),
};

/** Calls `handler` with every `update-state` event; resolves to the function that stops it. */
export function onUpdateState(handler: (view: UpdateView) => void): Promise<UnlistenFn> {
  return onAppEvent('update-state', handler);
}
