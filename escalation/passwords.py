"""Agent password hashing with scrypt (memory-hard), stored as one self-describing string.

Format: `scrypt$n$r$p$salt_b64$hash_b64`. The parameters travel with each hash, so raising
them later still verifies the passwords hashed before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

MIN_PASSWORD_LENGTH = 8
_SCHEME = "scrypt"
_N, _R, _P = 2**14, 8, 1  # about 16 MiB and tens of milliseconds per hash
_SALT_BYTES = 16
_KEY_BYTES = 32
# Refuse parameters from a stored string that would need more memory than this.
_MAX_MEMORY = 64 * 1024 * 1024


def hash_password(password: str) -> str:
    """The storable scrypt hash of `password`; ValueError if it is shorter than 8 characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, _N, _R, _P, _KEY_BYTES)
    return "$".join((_SCHEME, str(_N), str(_R), str(_P), _b64(salt), _b64(key)))


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored` (constant-time); False for a malformed `stored`."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return False
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
        candidate = _derive(password, salt, n, r, p, len(expected))
    except (ValueError, OverflowError):  # binascii.Error is a ValueError
        return False
    return hmac.compare_digest(candidate, expected)


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=_MAX_MEMORY
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
