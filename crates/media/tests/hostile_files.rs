//! The file readers decode outside input: whatever the bytes, they answer with frames or a
//! typed error, never a panic, and never allocate more than the input can justify.

use instant_share_media::files::{read_wav, write_wav, Wav, Y4mReader};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_are_a_wav_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_wav(&bytes[..]);
    }

    #[test]
    fn a_valid_wav_with_any_byte_changed_is_a_wav_or_an_error(
        samples in prop::collection::vec(any::<i16>(), 0..64),
        at in any::<prop::sample::Index>(),
        value in any::<u8>(),
    ) {
        let mut file = Vec::new();
        write_wav(&mut file, &Wav { sample_rate: 48_000, channels: 1, samples }).unwrap();
        let i = at.index(file.len());
        file[i] = value;
        let _ = read_wav(&file[..]);
    }

    #[test]
    fn any_bytes_after_a_y4m_magic_are_frames_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let input = [b"YUV4MPEG2 ".as_slice(), &bytes].concat();
        if let Ok(mut r) = Y4mReader::new(&input[..]) {
            for _ in 0..8 {
                match r.next_frame() {
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
        }
    }

    #[test]
    fn y4m_headers_with_any_numbers_are_handled(w in any::<u32>(), h in any::<u32>(), n in any::<u32>(), d in any::<u32>()) {
        let input = format!("YUV4MPEG2 W{w} H{h} F{n}:{d}\nFRAME\n");
        if let Ok(mut r) = Y4mReader::new(input.as_bytes()) {
            prop_assert!(r.width <= 8192 && r.height <= 8192);
            prop_assert!(r.next_frame().is_err());
        }
    }
}
