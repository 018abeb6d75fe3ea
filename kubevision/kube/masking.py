"""Secret values: who may see them (the reveal decision) and what everyone else gets (the masked object).

One decision, one presentation. The access scope (`services/access.py`, `AccessScope.values`) answers "may
this caller reveal values of this kind here?" (role verb `reveal` ∩ cluster ∩ namespace grants) and hands a
`ValueAccess`; `ValueAccess.present` is the step that follows it for every object that leaves the server (REST
results, watch events, dry-run objects and diffs, the objects the views read). A Secret is shown with:

- every `data` and `stringData` value replaced by `SECRET_MASK` (the keys stay visible);
- every annotation that embeds a manifest with `data`/`stringData` — kubectl's
  `kubectl.kubernetes.io/last-applied-configuration` holds the applied Secret in plaintext — rendered
  again as JSON with those values masked (still parseable, keys kept);
- every other annotation whose value contains one of the Secret's values (as stored, base64-decoded or in
  `stringData`) replaced by the mask as a whole.

Values come back only when the caller asked to reveal *and* the decision allows it. `unmask_secret` puts
real values back into an edited object only where the edit still carries exactly what masking showed for
that same key, so an edit can never move one key's value to another key or into an annotation. JSON patches
from callers who may not reveal cannot read masked fields (`check_patch`), and the API server's answers to
their malformed writes, which quote the object it could not decode, lose those quotes (`withhold_values`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import re
from typing import Any

import orjson

from kubevision.errors import ApiError, ErrorCode
from kubevision.kube.errors import KubeError
from kubevision.kube.objects import strip_managed_fields
from kubevision.kube.registry import ResourceKind

Obj = dict[str, Any]
SECRET_MASK = "********"
VALUE_FIELDS = ("data", "stringData")
# Values shorter than this are too common ("1", "true") to mask every annotation that merely contains
# them; such an annotation is masked only when it equals the value.
MIN_CONTAINED_VALUE_CHARS = 4
# Where JSON patch `from` (copy, move) and `test` may not point without `reveal`: the masked fields, and
# every annotation (an annotation may embed values). A pointer inside or above one of these touches it.
PATCH_READ_PROTECTED = (("data",), ("stringData",), ("metadata", "annotations"))
PATCH_READ_OPS = {"copy": "from", "move": "from", "test": "path"}
# What the API server quotes when it cannot decode a write: for a patch, the whole patched object (values
# included) as `Invalid value: "{...}": ` (cut to the end if it is not closed); for any body, the bytes around
# the error (`error found in #N byte of ...|…|..., bigger context ...|…|...`), which may hold part of a value.
_QUOTED_OBJECT = re.compile(r'Invalid value: "\{.*\}": ', re.S)
_UNCLOSED_QUOTED_OBJECT = re.compile(r'Invalid value: "\{.*', re.S)
_DECODE_CONTEXT = re.compile(r", error found in #\d+ byte of \.\.\.\|.*", re.S)
WITHHELD = "(the API server's quote of the Secret is not shown: it holds values you may not reveal)"


def is_secret_kind(kind: ResourceKind) -> bool:
    """True for a kind whose values are masked unless revealed (`ResourceKind.sensitive`: the core Secrets)."""
    return kind.sensitive


def _secret_values(obj: Obj) -> set[str]:
    """The strings that give a value away: stored values, their decoded text and `stringData` values."""
    string_data, data = (obj.get(key) if isinstance(obj.get(key), dict) else {} for key in ("stringData", "data"))
    values = {value for value in [*string_data.values(), *data.values()] if isinstance(value, str) and value}
    for value in data.values():
        if isinstance(value, str):
            with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                values.add(base64.b64decode(value, validate=True).decode())
    values.discard("")
    return values


def _all_values(obj: Obj) -> set[str]:
    """`_secret_values` of a Secret and of every manifest its annotations embed (they may hold older values)."""
    values = _secret_values(obj)
    for text in ((obj.get("metadata") or {}).get("annotations") or {}).values():
        if _masked_embedded(text) is not None:
            values |= _secret_values(orjson.loads(text))
    return values


def _gives_away(text: str, values: set[str]) -> bool:
    return any(text == value or (len(value) >= MIN_CONTAINED_VALUE_CHARS and value in text) for value in values)


def _masked_embedded(text: str) -> str | None:
    """The masked JSON rendering of an annotation that embeds a manifest with values; None if it embeds none."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        embedded = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(embedded, dict) or not any(isinstance(embedded.get(key), dict) for key in VALUE_FIELDS):
        return None
    rendered = orjson.dumps(mask_secret(embedded)).decode()
    return rendered + "\n" if text.endswith("\n") else rendered  # kubectl ends it with a newline


def mask_secret(obj: Obj) -> Obj:
    """A copy of a Secret with its values masked: `data`, `stringData` and every annotation that embeds them."""
    masked = dict(obj)
    for key in VALUE_FIELDS:
        if isinstance(obj.get(key), dict):
            masked[key] = dict.fromkeys(obj[key], SECRET_MASK)
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if isinstance(annotations, dict) and annotations:
        values = _secret_values(obj)
        shown = {}
        for key, text in annotations.items():
            rendered = _masked_embedded(text)
            if rendered is not None:
                text = rendered
            shown[key] = SECRET_MASK if _gives_away(text, values) else text
        masked["metadata"] = {**metadata, "annotations": shown}
    return masked


def unmask_secret(proposed: Obj, current: Obj) -> Obj:
    """Put real values back where an edited Secret still carries what masking showed (in place; returned).

    A `data` value equal to the mask gets the current value of the *same* key; an annotation equal to the
    masked form of the current annotation of the *same* key gets its current text. Nothing else is touched,
    so saving a masked Secret never loses data and never copies a value somewhere new.
    """
    data = proposed.get("data")
    if isinstance(data, dict):
        real = current.get("data") or {}
        proposed["data"] = {k: (real[k] if v == SECRET_MASK and k in real else v) for k, v in data.items()}
    proposed_annotations = (proposed.get("metadata") or {}).get("annotations")
    current_annotations = (current.get("metadata") or {}).get("annotations") or {}
    if isinstance(proposed_annotations, dict) and current_annotations:
        shown = mask_secret(current)["metadata"]["annotations"]
        for key, text in proposed_annotations.items():
            if key in current_annotations and text == shown[key]:
                proposed_annotations[key] = current_annotations[key]
    return proposed


def _withheld(text: str, values: set[str]) -> str:
    text = _QUOTED_OBJECT.sub(f"Invalid value: {WITHHELD}: ", text)
    text = _DECODE_CONTEXT.sub(f" {WITHHELD}", _UNCLOSED_QUOTED_OBJECT.sub(f"Invalid value: {WITHHELD}", text))
    return f"the API server refused the change; {WITHHELD}" if _gives_away(text, values) else text


def withhold_values(error: KubeError, current: Obj | None) -> KubeError:
    """The same Kubernetes error without what would show a value: the API server's quotes of the object are
    cut out of its message and causes, and a message that still holds a value of `current` is replaced."""
    values = _all_values(current) if current else set()
    body = dict(error.body)
    if isinstance(body.get("message"), str):
        body["message"] = _withheld(body["message"], values)
    details = body.get("details")
    if isinstance(details, dict) and isinstance(details.get("causes"), list):
        body["details"] = {**details, "causes": [
            {**cause, "message": _withheld(cause["message"], values)}
            if isinstance(cause, dict) and isinstance(cause.get("message"), str) else cause
            for cause in details["causes"]]}
    return type(error)(_withheld(error.message, values), status=error.status, reason=error.reason, body=body,
                       cluster=error.cluster)


def _pointer_tokens(pointer: str) -> tuple[str, ...]:
    """RFC 6901 tokens of a JSON pointer ('' is the whole document)."""
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:])


def _touches(tokens: tuple[str, ...], protected: tuple[str, ...]) -> bool:
    """Whether a pointer is at, inside or above a protected location."""
    common = min(len(tokens), len(protected))
    return tokens[:common] == protected[:common]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ValueAccess:
    """The reveal decision for one caller, kind and namespace (made by the access scope), and the presentation
    that follows from it."""

    masks: bool  # objects of this kind carry values that are masked unless revealed
    may_reveal: bool  # the principal may see them here

    def present(self, obj: Obj, *, reveal: bool = False) -> Obj:
        """The object as it may leave the server: no managedFields; values masked unless `reveal` was asked
        for and is allowed."""
        strip_managed_fields(obj)
        if self.masks and not (reveal and self.may_reveal):
            return mask_secret(obj)
        return obj

    def check_patch(self, patch_type: str, patch: Any) -> None:
        """40300 for a JSON patch that would read, move or compare masked fields without `reveal`.

        `copy`/`move` may not take their `from`, nor `test` its `path`, from `data`, `stringData` or the
        annotations (nor from a parent of them, such as `/metadata` or the whole object): the result — or the
        API server's error about it — would show the value. Plain writes (add, replace, remove) stay allowed.
        Merge and strategic-merge patches only write, so there is nothing to refuse in them.
        """
        if not self.masks or self.may_reveal or patch_type != "json":
            return
        for index, operation in enumerate(patch):
            member = PATCH_READ_OPS.get(operation["op"])
            if member is None:
                continue
            tokens = _pointer_tokens(operation[member])
            if any(_touches(tokens, protected) for protected in PATCH_READ_PROTECTED):
                raise ApiError(ErrorCode.FORBIDDEN,
                               f"patch[{index}] ({operation['op']}) reads {operation[member] or 'the whole object'!r} "
                               "of a Secret: copy, move and test on data, stringData and annotations need the "
                               "reveal permission (write values with add, replace or remove)")
