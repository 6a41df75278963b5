//! The JSON shapes the UI and the host rely on.

use instant_share_protocol::*;

#[test]
fn client_messages_are_tagged_snake_case() {
    let hello: ClientMessage =
        serde_json::from_str(r#"{"type":"hello","token":"t","protocol":1}"#).unwrap();
    assert_eq!(
        hello,
        ClientMessage::Hello {
            token: "t".into(),
            protocol: 1,
            last_seq: None
        }
    );
    let end: ClientMessage = serde_json::from_str(r#"{"type":"end_session"}"#).unwrap();
    assert_eq!(end, ClientMessage::EndSession);
    assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"fly"}"#).is_err());
}

#[test]
fn server_frames_nest_the_message() {
    let frame = ServerFrame {
        seq: Some(3),
        msg: ServerMessage::Ended {
            reason: EndReason::EndedByExpert,
        },
    };
    assert_eq!(
        serde_json::to_string(&frame).unwrap(),
        r#"{"seq":3,"msg":{"type":"ended","reason":"ended_by_expert"}}"#
    );
}

#[test]
fn errors_carry_a_stable_code() {
    let e = ApiError::new(ErrorCode::EnrolmentCodeUsed, "used");
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"{"code":"enrolment_code_used","message":"used"}"#
    );
}
