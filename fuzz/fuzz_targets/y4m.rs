//! Y4M video files (`instant_share_media_raw::files::Y4mReader`): the file source reads what a
//! user or a test points it at. Beyond "no panic, no allocation past the file": every frame
//! has the planes the header promises, the frame-stamp reader copes with any pixels, and the
//! stream written again by our own writer reads back the same.
#![no_main]

use instant_share_media_raw::files::{write_y4m_frame, write_y4m_header, Y4mReader};
use instant_share_media_raw::synthetic::read_stamp;
use libfuzzer_sys::fuzz_target;

/// Frames read from one input at most (each is checked and written again).
const MAX_FRAMES: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = Y4mReader::new(data) else {
        return;
    };
    let (width, height, fps) = (reader.width, reader.height, reader.fps);
    assert!(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0);
    assert!(width <= 8192 && height <= 8192);
    assert!(fps.0 > 0 && fps.1 > 0);
    let mut frames = Vec::new();
    while frames.len() < MAX_FRAMES {
        let Ok(Some(frame)) = reader.next_frame() else {
            break;
        };
        assert_eq!((frame.width, frame.height), (width, height));
        assert_eq!(frame.y.len(), width * height);
        assert_eq!(frame.u.len(), width / 2 * (height / 2));
        assert_eq!(frame.v.len(), width / 2 * (height / 2));
        let _ = read_stamp(&frame.y, width, height);
        frames.push(frame);
    }
    let mut written = Vec::new();
    write_y4m_header(&mut written, width, height, fps).unwrap();
    for frame in &frames {
        write_y4m_frame(&mut written, frame).unwrap();
    }
    let mut back = Y4mReader::new(&written[..]).expect("our own header reads back");
    assert_eq!((back.width, back.height, back.fps), (width, height, fps));
    for frame in &frames {
        assert_eq!(back.next_frame().unwrap().as_ref(), Some(frame));
    }
    assert!(back.next_frame().unwrap().is_none());
});
