from core.protocol import Message, decode
from core.state import BridgeState


def msg(line):
    return decode(line)


def test_pairing_flow_updates_state():
    s = BridgeState(state="starting")
    s.apply(msg('{"v":1,"type":"hello","bridge_version":"0.1.0","protocol":1,"paired":false}'))
    assert s.state == "unpaired" and s.bridge_version == "0.1.0"
    s.apply(msg('{"v":1,"type":"pair_code","user_code":"ABCD-EFGH","verification_uri_complete":"http://x/?code=ABCD-EFGH","expires_in":600}'))
    assert s.state == "pairing" and s.user_code == "ABCD-EFGH"
    s.apply(msg('{"v":1,"type":"paired","device_id":"dev-1"}'))
    assert s.paired and s.device_id == "dev-1" and s.user_code == ""
    s.apply(msg('{"v":1,"type":"status","state":"online"}'))
    assert s.state == "online"
    s.apply(msg('{"v":1,"type":"unpaired"}'))
    assert not s.paired and s.state == "unpaired" and s.device_id == ""


def test_unknown_status_value_becomes_error():
    s = BridgeState()
    s.apply(msg('{"v":1,"type":"status","state":"weird","message":"boom"}'))
    assert s.state == "error" and s.message == "boom"


def test_progress_then_import_returns_work_and_finish_records_recent():
    s = BridgeState()
    assert s.apply(msg('{"v":1,"type":"progress","import_id":"i1","shader_name":"Oak","stage":"downloading","fraction":0.4}')) is None
    assert s.current.fraction == 0.4 and s.current.stage == "downloading"
    s.apply(msg('{"v":1,"type":"progress","import_id":"i1","stage":"downloading","fraction":7}'))
    assert s.current.fraction == 1.0 and s.current.shader_name == "Oak"
    work = s.apply(msg('{"v":1,"type":"import","import_id":"i1","shader_id":"oak","version":"1.0.0","shader_name":"Oak","material_name":"OB","blend_path":"/b","package_dir":"/"}'))
    assert work is not None and work.type == "import"
    s.finish("i1", True, "done", now=1.0)
    s.finish("i1", True, "done again", now=2.0)
    assert s.current is None and len(s.recent) == 1 and s.recent[0].shader_name == "Oak"


def test_failed_import_status_is_recorded_in_plain_words():
    s = BridgeState()
    s.apply(msg('{"v":1,"type":"progress","import_id":"i2","shader_name":"Gold","stage":"queued","fraction":0}'))
    s.apply(msg('{"v":1,"type":"import_status","import_id":"i2","status":"failed","code":"SUBSCRIPTION_REQUIRED"}'))
    assert s.recent[0].ok is False and "subscription" in s.recent[0].text
    assert s.errors and "subscription" in s.errors[0][1]


def test_unknown_messages_change_nothing():
    s = BridgeState(state="online")
    assert s.apply(Message("future", {"state": "error"}, known=False)) is None
    assert s.state == "online"


def test_recent_is_bounded():
    s = BridgeState()
    for i in range(30):
        s.finish(f"i{i}", True, "ok")
    assert len(s.recent) == 10 and s.recent[0].import_id == "i29"


def test_subscription_state_from_bridge_fields_and_from_refusals():
    s = BridgeState()
    s.apply(msg('{"v":1,"type":"hello","bridge_version":"1","protocol":1,"paired":true,"device_id":"d","account":"pro@octane.local","subscription":"active"}'))
    assert s.account == "pro@octane.local" and s.subscription == "active"
    s.apply(msg('{"v":1,"type":"import_status","import_id":"i9","status":"failed","code":"SUBSCRIPTION_REQUIRED"}'))
    assert s.subscription == "inactive"
    assert s.recent[0].text.startswith("Your subscription is not active")
    s.apply(msg('{"v":1,"type":"status","state":"online","subscription":"trialing"}'))
    assert s.subscription == "trialing"
    s.apply(msg('{"v":1,"type":"unpaired"}'))
    assert s.account == "" and s.subscription == ""


def test_progress_text_for_the_status_bar():
    s = BridgeState()
    assert s.progress_text() == ""
    s.apply(msg('{"v":1,"type":"progress","import_id":"i1","shader_name":"Oak Wood","stage":"extracting","fraction":0.426}'))
    assert s.progress_text() == "Octane: Oak Wood unpacking 43%"
    s.finish("i1", True, "ok")
    assert s.progress_text() == ""


def test_every_bridge_failure_code_has_plain_words():
    # docs/bridge-protocol.md "Failure codes" plus the add-on's own.
    for code in ("SUBSCRIPTION_REQUIRED", "TOKEN_EXPIRED", "SIGNATURE_INVALID", "DOWNLOAD_FAILED", "CHECKSUM_MISMATCH",
                 "PACKAGE_UNSAFE", "DISK_FULL", "INTERNAL_ERROR", "BLEND_INVALID", "MATERIAL_MISSING", "BLENDER_ERROR"):
        text = BridgeState.error_text(code, "raw bridge text")
        assert text != "raw bridge text" and code not in text and text.endswith(".")
    assert BridgeState.error_text("SOMETHING_NEW", "The bridge says why") == "The bridge says why"


def test_paired_answer_while_online_keeps_online():
    s = BridgeState()
    s.apply(msg('{"v":1,"type":"hello","bridge_version":"1","protocol":1,"paired":true,"device_id":"d"}'))
    s.apply(msg('{"v":1,"type":"status","state":"online","device_id":"d"}'))
    s.apply(msg('{"v":1,"type":"paired","device_id":"d"}'))  # Connect clicked on a paired Blender
    assert s.state == "online" and s.paired


def test_a_cancelled_import_is_listed_not_reported_as_an_error():
    s = BridgeState()
    s.apply(msg('{"v":1,"type":"progress","import_id":"i1","shader_name":"Oak","stage":"downloading","fraction":0.4}'))
    s.apply(msg('{"v":1,"type":"import_status","import_id":"i1","status":"cancelled","message":"Cancelled in Blender."}'))
    assert s.current is None and not s.errors
    assert [(r.import_id, r.shader_name, r.ok, r.text) for r in s.recent] == [("i1", "Oak", False, "Cancelled in Blender.")]
    # A cancel with a code (the site's expiry, a revocation) is still a failure the artist should read.
    s.apply(msg('{"v":1,"type":"import_status","import_id":"i2","status":"cancelled","code":"IMPORT_GONE","message":"gone"}'))
    assert len(s.errors) == 1


def test_a_switch_request_follows_its_import_to_the_end():
    from core.state import Request

    s = BridgeState()
    s.request(Request("r1", "switch", "oak-wood", "OB_Oak", resolution="2k", version="1.0.0"))
    assert s.request_for("OB_Oak").active and s.request_for("OB_Oak").describe() == "Switching to 2k"
    s.apply(msg('{"v":1,"type":"request_import","re":"r1","import_id":"i9"}'))
    assert s.request_for("OB_Oak").status == "running" and s.request_for("OB_Oak").import_id == "i9"
    s.apply(msg('{"v":1,"type":"progress","import_id":"i9","stage":"downloading","fraction":0.5}'))
    s.finish("i9", True, "now 2k", now=1.0)
    req = s.request_for("OB_Oak")
    assert req.status == "done" and req.text == "now 2k" and not req.active
    assert s.request_for("OB_Other") is None


def test_a_refused_request_and_a_failed_import_are_shown_in_words():
    from core import codes
    from core.state import Request

    s = BridgeState()
    s.request(Request("r1", "update", "oak-wood", "OB_Oak", version="1.1.0"))
    s.apply(msg('{"v":1,"type":"error","re":"r1","code":"SUBSCRIPTION_REQUIRED","message":"402"}'))
    req = s.request_for("OB_Oak")
    assert req.status == "failed" and req.code == codes.SUBSCRIPTION_REQUIRED
    assert req.text == codes.ENTRIES[codes.SUBSCRIPTION_REQUIRED]["blender"] and s.subscription == "inactive"
    assert not s.errors  # shown with the request, not as a general error
    s.request(Request("r2", "switch", "oak-wood", "OB_Oak", resolution="4k"))
    s.apply(msg('{"v":1,"type":"request_import","re":"r2","import_id":"i2"}'))
    s.apply(msg('{"v":1,"type":"import_status","import_id":"i2","status":"failed","code":"CHECKSUM_MISMATCH"}'))
    req = s.request_for("OB_Oak")
    assert req.id == "r2" and req.status == "failed" and req.text == codes.ENTRIES[codes.CHECKSUM_MISMATCH]["blender"]


def test_shader_info_answers_and_errors_are_kept_by_shader():
    s = BridgeState()
    s.shader_asks["q1"], s.shader_asks["q2"] = "oak-wood", "gone"
    s.apply(msg('{"v":1,"type":"shader_info","re":"q1","shader":"oak-wood","latest_version":"1.1.0",'
                '"texture_sets":[{"resolution":"1k","size":5}],"entitled":true}'))
    assert s.shaders["oak-wood"]["latest_version"] == "1.1.0"
    s.apply(msg('{"v":1,"type":"error","re":"q2","code":"NOT_FOUND","message":"no such shader"}'))
    assert s.shaders["gone"] == {"error": "no such shader"} and not s.errors and not s.shader_asks


def test_a_cancelled_switch_frees_the_panel():
    from core.state import Request

    s = BridgeState()
    s.request(Request("r1", "switch", "oak-wood", "OB_Oak", resolution="4k"))
    s.apply(msg('{"v":1,"type":"request_import","re":"r1","import_id":"i1"}'))
    s.apply(msg('{"v":1,"type":"import_status","import_id":"i1","status":"cancelled","message":"Cancelled in Blender."}'))
    req = s.request_for("OB_Oak")
    assert not req.active and req.status == "failed" and req.text == "Cancelled in Blender." and req.code == ""


def test_a_request_the_bridge_never_answers_fails_after_a_minute():
    from core.state import REQUEST_ANSWER_SECONDS, Request

    s = BridgeState()
    s.request(Request("r1", "switch", "oak-wood", "OB_Oak", resolution="2k", at=100.0))
    assert s.request_for("OB_Oak", now=100.0 + REQUEST_ANSWER_SECONDS - 1).active
    req = s.request_for("OB_Oak", now=100.0 + REQUEST_ANSWER_SECONDS + 1)
    assert req.status == "failed" and "did not answer" in req.text
    s.request(Request("r2", "switch", "oak-wood", "OB_Oak", resolution="4k", at=100.0, status="running", import_id="i2"))
    assert s.request_for("OB_Oak", now=1e9).active  # answered: its import reports its own progress and end
