#!/usr/bin/env python3
"""Threat 9: no secret in a bridge binary that can mint anything.

Usage: check-bridge-secrets.py ENV_FILE BINARY...

Scans each built bridge binary for every secret the stack's configuration names (ENV_FILE,
normally .env.example): the HMAC import-token keys, the Ed25519 delivery signing seeds (and
the text the committed development seed is derived from), the Supabase JWT secret and
service-role key, the API key pepper, S3 and Stripe secrets. Each is looked for as written,
and keyring values also as raw bytes, hex and base64url. It also refuses binaries that link
code that signs or mints: the edge's token, auth and apikey packages and shaderpkg's signing
keyring. Public keys (MANIFEST_PUBLIC_KEYS) and the anon key are public and not looked for.
Exits 1 and names what it found; prints one line per binary.
"""

import base64
import hashlib
import re
import sys

SECRET_VARS = [
    "SUPABASE_JWT_SECRET",
    "SUPABASE_SERVICE_ROLE_KEY",
    "IMPORT_TOKEN_KEYS",
    "MANIFEST_SIGNING_KEYS",
    "API_KEY_PEPPER",
    "S3_SECRET_KEY",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
]
KEYRING_VARS = {"IMPORT_TOKEN_KEYS", "MANIFEST_SIGNING_KEYS"}
# The committed development signing seed is sha256 of this text (internal/shaderpkg/keyring.go).
DEV_SEED_TEXT = b"octane-bridge local manifest key"
# Function names stay in a stripped Go binary's pclntab: linked minting code shows up here.
MINTING_CODE = [
    b"octane-bridge/edge/internal/token.",
    b"octane-bridge/edge/internal/auth.",
    b"octane-bridge/edge/internal/apikey.",
    b"shaderpkg.NewSigningKeyring",
    b"shaderpkg.SignDelivery",
    b"shaderpkg.SignManifest",
    b"shaderpkg.LocalDevSeed",
]


def env_values(path):
    vals = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"^([A-Z0-9_]+)=(.*)$", line.strip())
            if m:
                vals[m.group(1)] = m.group(2)
    return vals


def needles(env):
    """(label, bytes) pairs to look for."""
    out = []
    for name in SECRET_VARS:
        value = env.get(name, "")
        if not value:
            continue
        if name not in KEYRING_VARS:
            out.append((name, value.encode()))
            continue
        for i, item in enumerate(value.split(",")):
            kid, _, b64 = item.strip().partition(":")
            label = f"{name}[{kid or i}]"
            out.append((label, b64.encode()))
            raw = base64.b64decode(b64 + "=" * (-len(b64) % 4))
            out += [
                (label + " raw", raw),
                (label + " hex", raw.hex().encode()),
                (label + " base64url", base64.urlsafe_b64encode(raw).rstrip(b"=")),
            ]
            if name == "MANIFEST_SIGNING_KEYS" and raw == hashlib.sha256(DEV_SEED_TEXT).digest():
                out.append((label + " seed text", DEV_SEED_TEXT))
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    env = env_values(argv[1])
    look = needles(env)
    if not any(label.startswith("MANIFEST_SIGNING_KEYS") for label, _ in look):
        print(f"{argv[1]}: no MANIFEST_SIGNING_KEYS to look for", file=sys.stderr)
        return 2
    bad = 0
    for path in argv[2:]:
        with open(path, "rb") as fh:
            data = fh.read()
        found = [label for label, n in look if n in data] + [n.decode() for n in MINTING_CODE if n in data]
        if found:
            bad += 1
            print(f"{path}: FOUND {', '.join(found)}")
        else:
            print(f"{path}: none of {len(look)} secrets, no minting code")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
