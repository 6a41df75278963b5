// Generated from src-tauri/src/updates.rs by `UPDATE_GENERATED=1 cargo test -p instant-share updates`.
// Do not edit by hand.


export type UpdateView = { "stage": "off", 
/**
 * This app's version.
 */
version: string, 
/**
 * A sentence.
 */
reason: string, } | { "stage": "current", 
/**
 * This app's version.
 */
version: string, 
/**
 * When the host last said so (Unix milliseconds).
 */
checked_at?: number, } | { "stage": "checking", 
/**
 * This app's version.
 */
version: string, } | { "stage": "available", 
/**
 * This app's version.
 */
version: string, 
/**
 * The release offered.
 */
new_version: string, 
/**
 * Its notes, as the release wrote them.
 */
notes?: string, } | { "stage": "downloading", 
/**
 * The release being installed.
 */
new_version: string, 
/**
 * Bytes so far.
 */
downloaded: number, 
/**
 * The installer's size, when the host said it.
 */
total?: number, } | { "stage": "installing", 
/**
 * The release being installed.
 */
new_version: string, } | { "stage": "failed", 
/**
 * This app's version.
 */
version: string, 
/**
 * The release that could not be installed, if it got that far.
 */
new_version?: string, 
/**
 * A sentence.
 */
message: string, };
