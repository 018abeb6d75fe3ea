"""Typed HS256 JWTs. Every token carries `typ`; every parse names the type it expects, so an access
token is never accepted where a refresh token is due, and the reverse."""

from __future__ import annotations

import dataclasses
import enum
import time
from typing import Any

import jwt
from ulid import ULID

from kubevision.errors import ApiError, ErrorCode

_ALGORITHM = "HS256"
_ISSUER = "kubevision"


class TokenType(enum.StrEnum):
    """What a token may be used for."""

    ACCESS = "access"
    REFRESH = "refresh"
    TWO_FACTOR = "2fa"
    WEBSOCKET = "ws"


@dataclasses.dataclass(frozen=True)
class IssuedToken:
    """A freshly signed token with its id and expiry (epoch seconds)."""

    token: str
    jti: str
    expires_at: int


class TokenCodec:
    """Signs and verifies tokens with the app's JWT key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def issue(self, typ: TokenType, *, user_id: int, version: int, ttl_s: int,
              **claims: Any) -> IssuedToken:
        """Sign a token of type `typ` for a user at a token version."""
        now = int(time.time())
        jti = str(ULID())
        payload = {
            "iss": _ISSUER, "typ": str(typ), "sub": str(user_id), "ver": version,
            "jti": jti, "iat": now, "exp": now + ttl_s, **claims,
        }
        return IssuedToken(jwt.encode(payload, self._key, algorithm=_ALGORITHM), jti, now + ttl_s)

    def decode(self, token: str, expected: TokenType) -> dict[str, Any]:
        """Verify signature, expiry and type. Expired → 40101; anything else wrong → 40100."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[_ALGORITHM], issuer=_ISSUER,
                options={"require": ["exp", "iat", "sub", "typ", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ApiError(ErrorCode.TOKEN_EXPIRED, f"{expected} token expired") from exc
        except jwt.PyJWTError as exc:
            raise ApiError(ErrorCode.NOT_LOGGED_IN, f"invalid {expected} token") from exc
        if claims.get("typ") != str(expected):
            raise ApiError(ErrorCode.NOT_LOGGED_IN, f"token is not a {expected} token")
        try:
            claims["user_id"] = int(claims["sub"])
        except ValueError as exc:
            raise ApiError(ErrorCode.NOT_LOGGED_IN, f"invalid {expected} token") from exc
        return claims
