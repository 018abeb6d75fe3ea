"""Contract tests: the API reference documents every error code, role and verb the code knows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubevision.auth.permissions import Role, Verb
from kubevision.errors import ErrorCode

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


@pytest.fixture(scope="module")
def api_doc() -> str:
    return API_DOC.read_text(encoding="utf-8")


def table_rows(text: str, header: str) -> dict[str, list[str]]:
    """Rows of the Markdown table whose header row starts with `| header |`, keyed by first cell."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_every_error_code_is_in_the_table(api_doc: str) -> None:
    rows = table_rows(api_doc, "code")
    assert set(rows) == {str(int(code)) for code in ErrorCode}
    for code in ErrorCode:
        name, meaning = rows[str(int(code))]
        assert name == code.name, code
        assert meaning, code


def test_every_role_and_verb_is_documented(api_doc: str) -> None:
    assert set(table_rows(api_doc, "role")) == {role.value for role in Role}
    assert set(table_rows(api_doc, "verb")) == {verb.value for verb in Verb}


def test_documented_request_id_example_matches_the_format(api_doc: str) -> None:
    examples = re.findall(r"req_[0-9A-Z]{26}", api_doc)
    assert examples
    assert all(re.fullmatch(r"req_[0-9A-HJKMNP-TV-Z]{26}", example) for example in examples)
