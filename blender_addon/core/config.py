"""What the add-on tells the bridge in ``hello``: preferences, overridden by OCTANE_* variables.

Environment variables let a test or a studio deployment configure Blender without clicking
(docs/addon.md lists them). They are read once when the add-on is enabled and win over the
preferences for that session. Invalid values are ignored with a plain-words warning, never
half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_SITE_URL = "http://127.0.0.1:3000"
LOG_LEVELS = ("debug", "info", "warn", "error")

# environment variable -> hello field (docs/bridge-protocol.md; schemas/stdio-to-bridge.schema.json)
ENV_FIELDS = {
    "OCTANE_SITE_URL": "site_url",
    "OCTANE_EDGE_URL": "edge_url",
    "OCTANE_SUPABASE_URL": "supabase_url",
    "OCTANE_SUPABASE_ANON_KEY": "supabase_anon_key",
    "OCTANE_CACHE_DIR": "cache_dir",
    "OCTANE_CACHE_MAX_BYTES": "cache_max_bytes",
    "OCTANE_LOG_LEVEL": "log_level",
    "OCTANE_DEVICE_NAME": "device_name",
}
URL_FIELDS = ("site_url", "edge_url", "supabase_url")


@dataclass(frozen=True)
class EnvConfig:
    """The OCTANE_* values that were valid (hello field -> value) and warnings for the rest."""

    values: dict = field(default_factory=dict)
    warnings: tuple = ()

    def source(self, hello_field: str) -> str | None:
        """The variable that set a field, for the preferences to say "set by OCTANE_SITE_URL"."""
        if hello_field not in self.values:
            return None
        return next(k for k, v in ENV_FIELDS.items() if v == hello_field)


def from_env(environ) -> EnvConfig:
    values, warnings = {}, []
    for var, name in ENV_FIELDS.items():
        raw = environ.get(var)
        if raw is None or not raw.strip():
            continue
        raw = raw.strip()
        if name in URL_FIELDS:
            if not raw.startswith(("http://", "https://")):
                warnings.append(f"{var} must start with http:// or https:// (ignored).")
                continue
            raw = raw.rstrip("/")
        elif name == "cache_max_bytes":
            try:
                n = int(raw)
            except ValueError:
                n = 0
            if n <= 0:
                warnings.append(f"{var} must be a positive number of bytes (ignored).")
                continue
            raw = n
        elif name == "log_level":
            raw = raw.lower()
            if raw == "warning":
                raw = "warn"
            if raw not in LOG_LEVELS:
                warnings.append(f"{var} must be one of {', '.join(LOG_LEVELS)} (ignored).")
                continue
        values[name] = raw
    return EnvConfig(values, tuple(warnings))


def hello_fields(prefs: dict | None, env: EnvConfig, addon_version: str, blender_version: str, platform: str) -> dict:
    """The ``hello`` message fields. ``prefs``: site_url, cache_dir (absolute or ""),
    cache_max_bytes, log_level, or None when the preferences are not available."""
    fields = {
        "addon_version": addon_version,
        "blender_version": blender_version,
        "platform": platform,
        "site_url": DEFAULT_SITE_URL,
    }
    if prefs:
        if prefs.get("site_url", "").strip():
            fields["site_url"] = prefs["site_url"].strip().rstrip("/")
        if prefs.get("cache_dir"):
            fields["cache_dir"] = prefs["cache_dir"]
        if prefs.get("cache_max_bytes"):
            fields["cache_max_bytes"] = int(prefs["cache_max_bytes"])
        if prefs.get("log_level") in LOG_LEVELS:
            fields["log_level"] = prefs["log_level"]
    fields.update(env.values)
    return fields


def library_url(site_url: str, device_id: str, instance_id: str = "") -> str:
    """The shader library page that preselects this Blender as the import target:
    ``?device=<device id>.<instance id>`` (this Blender of that machine), or the machine alone."""
    from urllib.parse import quote

    site = (site_url or DEFAULT_SITE_URL).rstrip("/")
    if not device_id:
        return f"{site}/"
    target = f"{device_id}.{instance_id}" if instance_id else device_id
    return f"{site}/?device={quote(target, safe='.')}"


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _origin(url: str):
    from urllib.parse import urlsplit

    try:
        u = urlsplit(url)
        port = u.port
    except ValueError:
        return None
    if not u.scheme or not u.hostname:
        return None
    return (u.scheme.lower(), u.hostname.lower(), port or {"http": 80, "https": 443}.get(u.scheme.lower()))


def safe_browser_url(url: str, *configured: str) -> bool:
    """Whether the add-on may open ``url`` (the pairing page the bridge names) in the browser.

    Only https, or plain http to a loopback address that is one of the configured origins (the
    local stack's site or edge). Anything else -- file:, javascript:, data:, custom schemes, http
    to another host, text with control characters -- is refused: the URL comes from the network
    through the bridge, and a browser opening it runs with the artist's session.
    """
    if not isinstance(url, str) or not url or len(url) > 2048:
        return False
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return False
    o = _origin(url)
    if o is None:
        return False
    if o[0] == "https":
        return True
    if o[0] != "http" or o[1].strip("[]") not in LOOPBACK_HOSTS:
        return False
    return any(o == _origin(c) for c in configured if c)
