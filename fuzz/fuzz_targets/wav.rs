//! WAV files (`instant_share_media_raw::files::read_wav`): the microphone's file source reads
//! what a user or a test points it at. Beyond "no panic, no allocation past the file": what is
//! read is within the formats taken, and written again by our own writer it reads back the
//! same.
#![no_main]

use instant_share_media_raw::files::{read_wav, write_wav};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(wav) = read_wav(data) else {
        return;
    };
    assert!((1..=8).contains(&wav.channels));
    assert!((8_000..=192_000).contains(&wav.sample_rate));
    assert!(wav.samples.len() * 2 <= data.len());
    let mut written = Vec::new();
    write_wav(&mut written, &wav).expect("what was read can be written");
    assert_eq!(
        read_wav(&written[..]).expect("our own file reads back"),
        wav
    );
});
