"""JSON Schema fragments shared by route declarations (they end up in the OpenAPI document)."""

from __future__ import annotations

from typing import Any


def obj(required: list[str] | None = None, **properties: dict[str, Any]) -> dict[str, Any]:
    """An object schema."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
ANY_OBJECT = {"type": "object", "additionalProperties": True}
NULLABLE_INT_LIST = {"type": ["array", "null"], "items": {"type": "integer"}}
NULLABLE_STR_LIST = {"type": ["array", "null"], "items": {"type": "string"}}
ROLE = {"type": "string", "enum": ["admin", "ops", "dev", "readonly", "custom"]}

USER = obj(
    id=INTEGER, username=STRING, email={"type": ["string", "null"]}, role=ROLE,
    permissions={"type": "array", "items": STRING}, clusters=NULLABLE_INT_LIST,
    namespaces=NULLABLE_STR_LIST, active=BOOLEAN, totpEnabled=BOOLEAN, mustChangePassword=BOOLEAN,
    createdAt=STRING, lastLoginAt={"type": ["string", "null"]},
)
SESSION = obj(accessToken=STRING, refreshToken={"type": ["string", "null"]}, expiresIn=INTEGER, user=USER)
