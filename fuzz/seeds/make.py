#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs into fuzz/corpus/<target>/seed-*.

The seeds are what the protocol's tests and the host's fixtures send: one valid message of each
kind (and a few refusals), so that the fuzzers start from the shapes the decoders accept.
Run again after a protocol change; the fuzzers add what they find beside the seeds.

    python3 fuzz/seeds/make.py
"""
import json
import os
import struct
import subprocess
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")
IMG = "a" * 64
IMG2 = "b" * 64


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def j(v):
    return json.dumps(v, separators=(",", ":"))


point = [120, 4500]
pointer = {"target": {"kind": "image", "image_id": IMG}, "at": point}
annotation = {"id": "a1", "target": {"kind": "image", "image_id": IMG},
              "shape": {"kind": "pen", "points": [[1, 2], [300, 400], [9999, 10000]]},
              "color": "#ff0000", "width": 4}
ops = {
    "annotate": {"kind": "annotate", "annotation": annotation},
    "text": {"kind": "annotate", "annotation": dict(annotation, id="t1", shape={"kind": "text", "at": point, "text": "click here"})},
    "arrow": {"kind": "annotate", "annotation": dict(annotation, id="r1", target={"kind": "screen", "participant_id": "p1"}, shape={"kind": "arrow", "from": [0, 0], "to": [10000, 10000]})},
    "erase": {"kind": "erase", "annotation_id": "a1"},
    "clear": {"kind": "clear", "target": {"kind": "image", "image_id": IMG}},
    "remove_image": {"kind": "remove_image", "image_id": IMG},
    "set_view": {"kind": "set_view", "view": {"target": {"kind": "image", "image_id": IMG}, "center": [5000, 5000], "zoom_percent": 150}},
    "stop_view": {"kind": "set_view", "view": None},
    "undo": {"kind": "undo"},
    "redo": {"kind": "redo"},
}
signals = {
    "offer": {"kind": "offer", "call_id": "c1", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"},
    "answer": {"kind": "answer", "call_id": "c1", "sdp": "v=0\r\n"},
    "candidate": {"kind": "candidate", "call_id": "c1", "candidate": "candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host", "sdp_mid": "0", "sdp_m_line_index": 0},
    "end_of_candidates": {"kind": "candidate", "call_id": "c1", "candidate": ""},
    "hangup": {"kind": "hangup", "call_id": "c1"},
}
client = {
    "hello": {"type": "hello", "token": "tok_abc", "protocol": 1},
    "hello_resume": {"type": "hello", "token": "tok_abc", "protocol": 1, "last_seq": 41},
    "chat": {"type": "chat", "text": "Hello, my mail does not sync", "client_msg_id": "m1"},
    "pointer": {"type": "pointer", "pointer": pointer},
    "pointer_off": {"type": "pointer", "pointer": None},
    "hand_over": {"type": "hand_over", "to_username": "bob"},
    "end_session": {"type": "end_session"},
    "call_back": {"type": "call_back"},
    "ping": {"type": "ping", "nonce": 7},
    "set_media": {"type": "set_media", "media": {"camera": True, "microphone": True, "screen": False, "screen_paused": False}},
    "set_availability": {"type": "set_availability", "available": True},
    "accept": {"type": "accept", "session_id": "s_1"},
    "decline": {"type": "decline", "session_id": "s_1"},
    "take": {"type": "take", "session_id": "s_1", "skill_override": True},
}
for name, op in ops.items():
    client["board_" + name] = {"type": "board", "op_id": "o1", "op": op}
for name, s in signals.items():
    client["signal_" + name] = {"type": "signal", "to": "p2", "signal": s}
for name, v in client.items():
    put("ws_client_message", name, j(v))
put("ws_client_message", "unknown_type", '{"type":"teleport"}')

participant = {"id": "p1", "role": "requester", "display_name": "Ann", "online": True,
               "media": {"camera": False, "microphone": True, "screen": False, "screen_paused": False},
               "may_draw": True, "left": False, "in_charge": False}
expert = dict(participant, id="p2", role="expert", display_name="Bob", in_charge=True)
image = {"id": IMG, "by": "p1", "name": "screenshot.png", "source": "screenshot", "width": 640, "height": 480, "hidden": False}
board_state = {"images": [image], "annotations": [], "view": None, "history": {}}
snapshot = {"session_id": "s_1", "topic": "email", "note": "mail", "status": "queued", "end_reason": None,
            "queue_position": 2, "estimated_wait_secs": 60, "experts_on_duty": 1, "call_back_until": None,
            "participants": [participant], "chat": [], "board": board_state, "you": "p1", "created_at": 1700000000000}
chat = {"from": "p1", "from_name": "Ann", "text": "Hello", "client_msg_id": "m1", "at": 1700000000100}
profile = {"id": "e_1", "username": "bob", "display_name": "Bob", "skills": ["email"]}
entry = {"session_id": "s_1", "topic": "email", "note": None, "requester_name": "Ann", "client": "0.1.0 on Linux",
         "waiting_since": 1700000000000, "position": 1, "skill_match": True}
offer = {"entry": entry, "expires_at": 1700000030000}
server = [
    (None, {"type": "welcome", "snapshot": snapshot, "seq": 3, "resumed": False, "ice_servers": [{"urls": ["stun:127.0.0.1:3478"]}, {"urls": ["turn:127.0.0.1:3478?transport=udp"], "username": "1700000000:p1", "credential": "c3Vw"}]}),
    (4, {"type": "queue", "position": 1, "estimated_wait_secs": 30, "experts_on_duty": 1}),
    (5, {"type": "call_back", "until": 1700000600000}),
    (6, {"type": "status", "status": "active"}),
    (7, {"type": "participant_joined", "participant": expert}),
    (8, {"type": "presence", "participant_id": "p2", "online": False}),
    (9, {"type": "chat", "message": chat}),
    (10, {"type": "board", "by": "p1", "op_id": "o1", "event": {"kind": "annotated", "annotation": dict(annotation, by="p1", hidden=False)}}),
    (11, {"type": "board", "by": "p1", "event": {"kind": "image_added", "image": dict(image, id=IMG2)}}),
    (12, {"type": "board", "by": "p2", "event": {"kind": "hidden", "by": "p2", "annotations": ["a1"], "images": []}}),
    (13, {"type": "board", "by": "p2", "event": {"kind": "undone", "by": "p2"}}),
    (14, {"type": "board", "by": "p2", "event": {"kind": "redone", "by": "p2"}}),
    (15, {"type": "board", "by": "p2", "event": {"kind": "view_set", "view": {"by": "p2", "target": {"kind": "image", "image_id": IMG}, "center": [5000, 5000], "zoom_percent": 200}}}),
    (None, {"type": "board_rejected", "op_id": "o2", "error": {"code": "bad_request", "message": "a stroke has 1 to 1000 points"}}),
    (None, {"type": "pointer", "from": "p2", "pointer": pointer}),
    (16, {"type": "media", "participant_id": "p2", "media": {"camera": True, "microphone": True, "screen": True}}),
    (None, {"type": "signal", "from": "p2", "signal": signals["offer"]}),
    (17, {"type": "handed_over", "from": "p2", "to": "p3"}),
    (18, {"type": "removed", "participant_id": "p4", "by": "p2"}),
    (19, {"type": "ended", "reason": "ended_by_expert"}),
    (None, {"type": "console_welcome", "expert": profile, "available": True, "queue": [entry], "queue_total": 1, "offer": offer, "active_session": None}),
    (None, {"type": "queue_update", "queue": [entry], "queue_total": 3}),
    (None, {"type": "offered", "offer": offer}),
    (None, {"type": "offer_withdrawn", "session_id": "s_1", "reason": "timeout"}),
    (None, {"type": "joined", "session_id": "s_1", "site_url": "https://help.example.com/s/s_1", "participant_token": "tok"}),
    (None, {"type": "session_closed", "session_id": "s_1", "reason": "idle_timeout"}),
    (None, {"type": "pong", "nonce": 7}),
    (None, {"type": "error", "error": {"code": "unauthenticated", "message": "unknown token"}}),
]
frames = [j({"seq": seq, "msg": msg}) for seq, msg in server]
for (seq, msg), text in zip(server, frames):
    put("ws_server_frame", msg["type"] + ("" if seq is None else "-%d" % seq), text)
# The tracker: a session from welcome to end, with the app's own actions between frames.
put("client_tracker", "session", "\n".join(["chat m1", "board o1"] + frames + ["disconnect", frames[0].replace('"resumed":false', '"resumed":true'), frames[5]]))
put("client_tracker", "repeats", "\n".join([frames[0], frames[1], frames[1], frames[6], frames[4], "disconnect", frames[0], frames[-1]]))
put("client_tracker", "fatal_first", "\n".join([frames[-1], frames[0]]))

rest = {
    0: {"code": "AAAA-BBBB-CCCC", "device_name": "Ann's laptop"},
    1: {"topic": "email", "note": "Outlook asks for my password", "app_version": "0.1.0", "os_version": "Linux 6.1"},
    2: {"solved": True, "rating": 5, "comment": "quick"},
    3: {"outcome": "solved", "note": "reset the profile"},
    4: {"display_name": "Carol", "may_draw": True},
    5: {"to_username": "dave"},
    6: {"username": "dave"},
    7: {"username": "bob", "password": "correct horse"},
    8: {"device_id": "d_1", "credential": "cred", "employee_name": "Ann"},
    9: {"topics": [{"id": "email", "label": "Email and calendar"}]},
    10: {"session_id": "s_1", "site_url": "https://help.example.com/s/s_1", "ws_url": "wss://help.example.com/api/v1/ws", "participant_token": "tok", "token_expires_at": 1700000000000, "queue_position": 1, "estimated_wait_secs": 30, "experts_on_duty": 1},
    11: {"topics": [{"topic": "email", "experts_on_duty": 1, "estimated_wait_secs": 45}]},
    12: profile,
    13: {"ticket": "t_1", "ws_url": "wss://help.example.com/api/v1/ws"},
    14: {"status": "ok", "version": "0.1.0"},
    15: {"participant_id": "p3", "link": "https://help.example.com/s/s_1#g", "token_expires_at": 1700000000000},
    16: image,
    17: {"code": "rate_limited", "message": "slow down"},
}
for which, body in rest.items():
    put("rest_bodies", "%02d" % which, bytes([which]) + j(body).encode())
    put("client_reply", "%02d-ok" % which, bytes([which % 8, 0, 100]) + j(body).encode())
put("client_reply", "error", bytes([0, 1, 45]) + j(rest[17]).encode())
put("client_reply", "html", bytes([0, 1, 146]) + b"<html><body>Bad gateway</body></html>")

put("enrolment_link", "link", "instant-share://enrol?host=https%3A%2F%2Fhelp.example.com&code=ABCD-EFGH-JKLM")
put("enrolment_link", "link_slash", "instant-share://enrol/?host=http%3A%2F%2F127.0.0.1%3A8080&code=ABCD-EFGH-JKLM")
put("enrolment_link", "host", "HTTPS://Help.Example.com:443/")
put("enrolment_link", "host_v6", "http://[::1]:8080")

# Board: the target builds operations from raw bytes; a few runs of bytes to begin with.
for n in range(4):
    put("board_ops", "bytes-%d" % n, bytes((i * (37 + 11 * n) + n) % 256 for i in range(64 + 96 * n)))
put("board_ops", "json", bytes([1, 3]) + j(ops["annotate"]).encode())


def chunk(tag, body):
    return tag + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


fmt = struct.pack("<HHIIHH", 1, 1, 48000, 96000, 2, 16)
samples = b"".join(struct.pack("<h", (i * 1000) % 30000 - 15000) for i in range(64))
for name, chunks in {
    "mono": [chunk(b"fmt ", fmt), chunk(b"data", samples)],
    "stereo_list": [chunk(b"fmt ", struct.pack("<HHIIHH", 1, 2, 44100, 176400, 4, 16)), chunk(b"LIST", b"INFOISFT\x05\0\0\0ffmp\0\0"), chunk(b"data", samples)],
    "extensible": [chunk(b"fmt ", struct.pack("<HHIIHHHHI", 0xFFFE, 1, 16000, 32000, 2, 16, 22, 16, 4) + b"\0" * 16), chunk(b"data", samples[:33])],
}.items():
    body = b"WAVE" + b"".join(chunks)
    put("wav", name, b"RIFF" + struct.pack("<I", len(body)) + body)

w, h = 32, 16
frame = bytes((x + y) % 256 for y in range(h) for x in range(w)) + bytes([128]) * (w * h // 2)
put("y4m", "two_frames", b"YUV4MPEG2 W32 H16 F30:1 Ip A1:1 C420jpeg\n" + (b"FRAME\n" + frame) * 2)
put("y4m", "params", b"YUV4MPEG2 W2 H2 F25:1 C420 XYSCSS=420JPEG\nFRAME Ixyz\n" + bytes(6))


def png_chunk(tag, body):
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


rows = b"".join(b"\0" + b"".join(bytes((x * 40, y * 40, 200)) for x in range(6)) for y in range(4))
png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 6, 4, 8, 2, 0, 0, 0)) + png_chunk(b"tEXt", b"Comment\0secret") + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")
put("picture_upload", "rgb.png", png)
rows_a = b"".join(b"\0" + b"".join(bytes((x * 40, y * 40, 200, 128)) for x in range(3)) for y in range(3))
put("picture_upload", "rgba.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 3, 8, 6, 0, 0, 0)) + png_chunk(b"IDAT", zlib.compress(rows_a)) + png_chunk(b"IEND", b""))
# JPEG and WebP: small pictures from ImageMagick, when it is there.
for ext, args in {"jpg": ["-quality", "50"], "webp": ["-quality", "50"]}.items():
    try:
        out = subprocess.run(["convert", "-size", "16x8", "gradient:red-blue"] + args + [ext + ":-"], capture_output=True, check=True).stdout
        put("picture_upload", "gradient." + ext, out)
    except (OSError, subprocess.CalledProcessError):
        pass
