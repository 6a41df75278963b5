// The app's events (src-tauri/src/events.rs), listened to by name: the name and the payload are
// checked against the generated `AppEvents`, so an event renamed or reshaped on the Rust side
// fails `npm run check` here.
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AppEvents } from './app-events';

/** Calls `handler` with every event `name`; resolves to the function that stops it. */
export function onAppEvent<K extends keyof AppEvents>(name: K, handler: (payload: AppEvents[K]) => void): Promise<UnlistenFn> {
  return listen<AppEvents[K]>(name, (event) => handler(event.payload));
}
