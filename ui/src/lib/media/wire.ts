// Names for the call-related wire types, taken from the messages that carry them (so they follow
// `ui/src/generated/protocol.ts` whichever way it declares them).
import type { Participant, ServerMessage } from '../../generated/protocol';

/** Which of a participant's media are live (`set_media`, `media`, `Participant.media`). */
export type MediaState = Participant['media'];

/** One ICE server from the welcome. */
export type IceServer = Extract<ServerMessage, { type: 'welcome' }>['ice_servers'][number];

/** An offer, answer, candidate or hang-up. */
export type Signal = Extract<ServerMessage, { type: 'signal' }>['signal'];

/** All media off. */
export const NO_MEDIA: MediaState = { camera: false, microphone: false, screen: false, screen_paused: false };

/** Whether two media states say the same. */
export function sameMedia(a: MediaState, b: MediaState): boolean {
  return a.camera === b.camera && a.microphone === b.microphone && a.screen === b.screen && a.screen_paused === b.screen_paused;
}
