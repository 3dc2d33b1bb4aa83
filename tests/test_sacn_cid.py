"""sACN CIDs kept in the state directory: made once per output, the same on every load,
a damaged file left alone with stable stand-ins."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pytest

from hardware.outputs.cid import CID_FILE, load_cids


def test_made_once_and_kept(tmp_path: Path) -> None:
    first = load_cids(tmp_path, ["wash", "stage"])
    assert len(set(first.values())) == 2 and all(len(c) == 16 for c in first.values())
    stored = json.loads((tmp_path / CID_FILE).read_text())
    assert {name: uuid.UUID(text).bytes for name, text in stored.items()} == first
    again = load_cids(tmp_path, ["stage", "wash", "new"])
    assert again["wash"] == first["wash"] and again["stage"] == first["stage"]
    assert again["new"] not in first.values()
    assert load_cids(tmp_path, ["new"]) == {"new": again["new"]}


def test_damaged_file_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / CID_FILE).write_text("{not json")
    with caplog.at_level(logging.ERROR, logger="gobo.output"):
        first = load_cids(tmp_path, ["wash"])
    assert "unreadable" in caplog.text
    assert load_cids(tmp_path, ["wash"]) == first  # stable meanwhile
    assert (tmp_path / CID_FILE).read_text() == "{not json"
