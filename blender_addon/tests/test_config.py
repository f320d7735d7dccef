"""core.config: OCTANE_* variables, hello fields, the library URL."""

from core import config


def test_env_values_fill_hello_and_win_over_preferences():
    env = config.from_env({
        "OCTANE_SITE_URL": "http://127.0.0.1:3999/",
        "OCTANE_EDGE_URL": "http://127.0.0.1:8787",
        "OCTANE_SUPABASE_URL": "http://127.0.0.1:54321",
        "OCTANE_SUPABASE_ANON_KEY": "anon.jwt.key",
        "OCTANE_CACHE_DIR": "/tmp/octane-cache",
        "OCTANE_CACHE_MAX_BYTES": "1048576",
        "OCTANE_LOG_LEVEL": "DEBUG",
        "OCTANE_DEVICE_NAME": "e2e Blender",
        "UNRELATED": "x",
    })
    assert env.warnings == ()
    prefs = {"site_url": "https://library.example", "cache_dir": "/prefs/cache", "cache_max_bytes": 5 << 30, "log_level": "info"}
    hello = config.hello_fields(prefs, env, "0.1.0", "3.4.1", "linux-amd64")
    assert hello == {
        "addon_version": "0.1.0", "blender_version": "3.4.1", "platform": "linux-amd64",
        "site_url": "http://127.0.0.1:3999", "edge_url": "http://127.0.0.1:8787",
        "supabase_url": "http://127.0.0.1:54321", "supabase_anon_key": "anon.jwt.key",
        "cache_dir": "/tmp/octane-cache", "cache_max_bytes": 1048576, "log_level": "debug",
        "device_name": "e2e Blender",
    }
    assert env.source("site_url") == "OCTANE_SITE_URL" and env.source("edge_url") == "OCTANE_EDGE_URL"


def test_preferences_alone_and_defaults():
    env = config.from_env({})
    hello = config.hello_fields({"site_url": " https://lib.example/ ", "cache_dir": "", "cache_max_bytes": 1 << 30, "log_level": "warn"},
                                env, "0.1.0", "4.2.0", "macos-arm64")
    assert hello["site_url"] == "https://lib.example" and hello["cache_max_bytes"] == 1 << 30
    assert hello["log_level"] == "warn" and "cache_dir" not in hello and "edge_url" not in hello
    bare = config.hello_fields(None, env, "0.1.0", "4.2.0", "x")
    assert bare["site_url"] == config.DEFAULT_SITE_URL and set(bare) == {"addon_version", "blender_version", "platform", "site_url"}
    assert env.source("site_url") is None


def test_invalid_env_values_are_ignored_with_plain_warnings():
    env = config.from_env({
        "OCTANE_SITE_URL": "ftp://nope",
        "OCTANE_CACHE_MAX_BYTES": "lots",
        "OCTANE_LOG_LEVEL": "chatty",
        "OCTANE_EDGE_URL": "   ",
        "OCTANE_SUPABASE_URL": "127.0.0.1:54321",
    })
    assert env.values == {}
    text = " ".join(env.warnings)
    assert "OCTANE_SITE_URL must start with http" in text and "OCTANE_SUPABASE_URL" in text
    assert "OCTANE_CACHE_MAX_BYTES must be a positive number" in text and "OCTANE_LOG_LEVEL must be one of" in text
    assert len(env.warnings) == 4  # the blank variable counts as unset
    assert config.from_env({"OCTANE_CACHE_MAX_BYTES": "-5"}).values == {}
    assert config.from_env({"OCTANE_LOG_LEVEL": "warning"}).values == {"log_level": "warn"}


def test_library_url_preselects_this_device():
    assert config.library_url("http://127.0.0.1:3000/", "dev-1") == "http://127.0.0.1:3000/?device=dev-1"
    assert config.library_url("https://lib.example", "") == "https://lib.example/"
    assert config.library_url("https://lib.example", "a b&c") == "https://lib.example/?device=a%20b%26c"


def test_library_url_preselects_this_blender_of_the_machine():
    assert config.library_url("https://lib.example", "dev-1", "inst-2") == "https://lib.example/?device=dev-1.inst-2"
    assert config.library_url("https://lib.example", "", "inst-2") == "https://lib.example/"


def test_only_https_or_the_configured_local_site_is_opened_in_the_browser():
    local_site, local_edge = "http://127.0.0.1:3000", "http://127.0.0.1:8787"
    ok = [
        "https://library.example/connect?code=WDJB-MJHT",
        "https://LIBRARY.example:8443/connect",
        "http://127.0.0.1:3000/connect?code=WDJB-MJHT",
        "http://127.0.0.1:8787/connect",
    ]
    refused = [
        "http://library.example/connect?code=WDJB-MJHT",  # plain http to a real host
        "http://127.0.0.1:4000/connect",  # loopback, but not a configured origin
        "http://localhost:3000/connect",  # another host name than configured
        "http://127.0.0.1/connect",  # port 80, not 3000
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ms-settings:privacy",
        "smb://attacker/share",
        "//library.example/connect",
        "https://",
        "https://library.example/a b",  # whitespace
        "https://library.example/\x00",
        "https://library.example:99999/",  # invalid port
        "",
        None,
        "https://library.example/" + "x" * 3000,
    ]
    for u in ok:
        assert config.safe_browser_url(u, local_site, local_edge), u
    for u in refused:
        assert not config.safe_browser_url(u, local_site, local_edge), u
    # Without configured origins only https passes.
    assert not config.safe_browser_url("http://127.0.0.1:3000/connect")
    assert config.safe_browser_url("https://library.example/connect")
