// Generated from src-tauri/src/media by `UPDATE_GENERATED=1 cargo test -p instant-share media::typescript`.
// Do not edit by hand.


export type MediaMode = "devices" | "synthetic";

export type Renderer = "webgl" | "2d";

export type MediaTrack = "camera" | "microphone" | "screen" | "speaker";

export type SourceState = "off" | "starting" | "on";

export type SourceView = { 
/**
 * Off, starting or on.
 */
state: SourceState, 
/**
 * The device chosen in the picker (`None`: the default one).
 */
device: string | null, };

export type CallStatus = "connecting" | "connected" | "failed" | "closed";

export type CallView = { 
/**
 * Their participant id.
 */
with: string, 
/**
 * Where the call is.
 */
status: CallStatus, };

export type MediaProblem = { 
/**
 * The device concerned.
 */
track: MediaTrack | null, 
/**
 * Stable code: `no_camera`, `no_microphone`, `no_speaker`, `no_display`, `device_failed`;
 * `sources_off` (no device: everything was turned off when the window was closed).
 */
code: string, 
/**
 * A sentence for the user.
 */
message: string, };

export type MediaView = { 
/**
 * A session is live and calls can be made.
 */
live: boolean, 
/**
 * Real devices, or the synthetic pattern and tone.
 */
mode: MediaMode, 
/**
 * How the window should draw pictures.
 */
renderer: Renderer, 
/**
 * This computer's camera.
 */
camera: SourceView, 
/**
 * This computer's microphone.
 */
microphone: SourceView, 
/**
 * This computer's screen.
 */
screen: SourceView, 
/**
 * The microphone is on but sends silence.
 */
muted: boolean, 
/**
 * The shared screen is paused: the others see a card with a pause sign (while a private
 * picture is on the screen, before parts of it are blacked out).
 */
screen_paused: boolean, 
/**
 * Calls with the other participants.
 */
calls: Array<CallView>, 
/**
 * At most one per device, the latest last.
 */
problems: Array<MediaProblem>, };

export type DeviceChoice = { 
/**
 * What to pass back as `device`.
 */
id: string, 
/**
 * What to show.
 */
name: string, };

export type DeviceList = { 
/**
 * Cameras.
 */
cameras: Array<DeviceChoice>, 
/**
 * Microphones.
 */
microphones: Array<DeviceChoice>, 
/**
 * Speakers and headphones.
 */
speakers: Array<DeviceChoice>, 
/**
 * The screen that can be shared, in words; `None` when there is none.
 */
screen: string | null, 
/**
 * What could not be listed, in words.
 */
problems: Array<string>, };

export type WindowChoice = { 
/**
 * What `take_screenshot` takes to show this window.
 */
id: number, 
/**
 * Its title.
 */
title: string, 
/**
 * Where it is on the screen (its visible part), in pixels from the left.
 */
x: number, 
/**
 * See `x`: from the top.
 */
y: number, 
/**
 * Its size on the screen in pixels.
 */
width: number, 
/**
 * See `width`.
 */
height: number, };
