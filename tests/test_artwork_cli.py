"""`gobo artwork ...` on a site configuration in a temporary directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from controller.artwork_targets import targets_for_patch
from controller.cli import main
from controller.config import parse_site_config

SITE = """
[site]
latitude = 61.4978
longitude = 23.7610

[paths]
state = "state"
inbox = "inbox"

[artwork]
require_approval = {approval}

[[output]]
name = "sim"
type = "simulated"

[[fixture]]
name = "matrix"
profile = "generic-pixel-matrix"
pixels = [8, 4]
output = "sim"
universe = 1
address = 1
{gobo}
"""

GOBO_FIXTURE = """
[[fixture]]
name = "gobo"
profile = "generic-led-gobo"
output = "sim"
universe = 1
address = 200
gobo_kind = "glass"
gobo_size = "E"
"""


def write_site(tmp_path: Path, approval: bool = True, gobo: str = GOBO_FIXTURE) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(approval=str(approval).lower(), gobo=gobo))
    return path


def gobo(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_targets_from_the_patch(tmp_path):
    config = parse_site_config(
        __import__("tomllib").loads(SITE.format(approval="false", gobo=GOBO_FIXTURE)), tmp_path
    )
    assert sorted(t.key for t in targets_for_patch(config.patch)) == ["glass-E", "pixels-8x4"]
    without_gobo = parse_site_config(
        __import__("tomllib").loads(SITE.format(approval="false", gobo="")), tmp_path
    )
    assert sorted(t.key for t in targets_for_patch(without_gobo.patch)) == [
        "glass-B", "pixels-8x4", "steel-B"
    ]


def test_add_list_approve_retire_preview_sheet(tmp_path, capsys, make_drawing):
    site = str(write_site(tmp_path))
    drawing = make_drawing(tmp_path / "sun.png", seed=1)

    code, out, _ = gobo(capsys, "--config", site, "artwork", "add", str(drawing),
                        "--credit", "Aino", "--json")
    assert code == 0
    [added] = json.loads(out)
    assert added["result"] == "added" and added["status"] == "pending"
    assert added["credit"] == "Aino"
    artwork_id = added["id"]
    assert drawing.exists()  # add copies; the user's file stays

    code, out, _ = gobo(capsys, "artwork", "add", str(drawing), "--config", site)
    assert code == 0 and out.startswith(f"duplicate {artwork_id} pending")

    code, out, _ = gobo(capsys, "--config", site, "artwork", "list", "--status=pending", "--json")
    assert [entry["id"] for entry in json.loads(out)] == [artwork_id]

    code, out, _ = gobo(capsys, "--config", site, "artwork", "approve", artwork_id[:6])
    assert (code, out) == (0, f"{artwork_id} is now approved\n")

    code, out, _ = gobo(capsys, "--config", site, "artwork", "show", artwork_id, "--json")
    shown = json.loads(out)
    assert shown["status"] == "approved" and shown["approved_at"]
    assert Path(shown["files"]["gobo-glass-E"]).is_file()
    assert Path(shown["files"]["pixels-8x4"]).is_file()

    copy = tmp_path / "preview-copy.png"
    code, out, _ = gobo(capsys, "--config", site, "artwork", "preview", artwork_id, f"--out={copy}")
    assert (code, out.strip()) == (0, str(copy))
    assert copy.read_bytes() == Path(shown["files"]["preview"]).read_bytes()

    code, out, _ = gobo(capsys, "--config", site, "artwork", "reject", artwork_id,
                        "--reason", "a  classmate's name on it")
    assert (code, out) == (0, f"{artwork_id} is now rejected: a classmate's name on it\n")
    code, out, _ = gobo(capsys, "--config", site, "artwork", "show", artwork_id)
    assert "status:    rejected (a classmate's name on it)" in out

    code, out, _ = gobo(capsys, "--config", site, "artwork", "retire", artwork_id, "--json")
    assert json.loads(out)["status"] == "retired" and json.loads(out)["reason"] is None

    sheet = tmp_path / "sheet.png"
    code, out, _ = gobo(capsys, "--config", site, "artwork", "sheet", "--out", str(sheet))
    assert code == 0 and "1 artworks" in out
    with Image.open(sheet) as image:
        assert image.format == "PNG" and image.width > 100
        assert not image.info.get("exif")
        # The tile is not empty: the preview was pasted onto the dark background.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 20


def test_errors_are_one_line_with_exit_codes(tmp_path, capsys):
    site = str(write_site(tmp_path))
    junk = tmp_path / "junk.png"
    junk.write_text("not a picture")
    code, out, err = gobo(capsys, "--config", site, "artwork", "add", str(junk))
    assert code == 1 and out.startswith("refused   ")
    assert err.strip() == "gobo: 1 of 1 files refused"

    code, _, err = gobo(capsys, "--config", site, "artwork", "show", "abcdef")
    assert code == 1 and err.strip() == "gobo: no artwork 'abcdef' in the library"

    code, _, err = gobo(capsys, "--config", site, "artwork", "add", str(tmp_path / "missing.png"))
    assert code == 2 and "no such file" in err

    code, _, err = gobo(capsys, "--config", str(tmp_path / "nope.toml"), "artwork", "list")
    assert code == 2 and err.count("\n") == 1


def test_list_empty_and_human_output(tmp_path, capsys, make_drawing):
    site = str(write_site(tmp_path, approval=False, gobo=""))
    assert gobo(capsys, "--config", site, "artwork", "list")[1] == "no artworks\n"
    with pytest.raises(SystemExit):  # argparse: bad status is a usage error (exit 2)
        main(["--config", site, "artwork", "list", "--status", "shown"])


def test_inbox_once(tmp_path, capsys, make_drawing):
    site = str(write_site(tmp_path, approval=False))
    make_drawing(tmp_path / "inbox" / "Aino" / "sun.png", seed=4)
    (tmp_path / "inbox" / "readme.png").write_text("not a drawing")
    code, out, _ = gobo(capsys, "--config", site, "artwork", "inbox", "--json")
    assert code == 0
    rows = {Path(row["file"]).name: row for row in json.loads(out)}
    assert rows["sun.png"]["result"] == "added"
    assert rows["readme.png"]["result"] == "refused"
    assert Path(rows["readme.png"]["moved_to"]) == tmp_path / "inbox" / "rejected" / "readme.png"
    code, out, _ = gobo(capsys, "--config", site, "artwork", "list", "--json")
    [record] = json.loads(out)
    assert (record["id"], record["credit"]) == (rows["sun.png"]["id"], "Aino")
    assert gobo(capsys, "--config", site, "artwork", "inbox")[1].endswith("nothing waiting\n")


def test_what_a_technician_adds_stays_writable_for_the_daemons_group(
    tmp_path, capsys, make_drawing
):
    """A technician's umask (022) would leave files the daemon (group gobo) cannot update."""
    site = str(write_site(tmp_path))
    drawing = make_drawing(tmp_path / "sun.png", seed=2)
    before = os.umask(0o022)
    try:
        code, out, _ = gobo(capsys, "--config", site, "artwork", "add", str(drawing), "--json")
        assert os.umask(0o022) == 0o022  # the command's own umask did not outlive it
    finally:
        os.umask(before)
    assert code == 0
    [added] = json.loads(out)
    state = tmp_path / "state"
    made = [state / "library.sqlite3", *(state / "originals").iterdir()]
    made += [state / "artworks" / added["id"], *(state / "artworks" / added["id"]).iterdir()]
    for path in made:
        assert path.stat().st_mode & 0o060 == 0o060, path


def test_style_show_and_compare(tmp_path, capsys, make_drawing):
    site = str(write_site(tmp_path, approval=False))
    code, out, _ = gobo(capsys, "--config", site, "artwork", "add",
                        str(make_drawing(tmp_path / "sun.png", seed=2)), "--json")
    artwork_id = json.loads(out)[0]["id"]
    code, out, _ = gobo(capsys, "--config", site, "artwork", "show", artwork_id)
    assert code == 0 and "style:     lines (chosen by the converter; the converter: strokes" in out
    assert "cleanup:   " in out and "gobo:      glass-E: " in out

    code, out, _ = gobo(capsys, "--config", site, "artwork", "style", artwork_id, "fills")
    assert (code, out) == (0, f"{artwork_id} is drawn as fills (chosen by the curator)\n")
    code, out, _ = gobo(capsys, "--config", site, "artwork", "show", artwork_id, "--json")
    assert json.loads(out)["style"] == "fills"
    code, out, _ = gobo(capsys, "--config", site, "artwork", "style", artwork_id, "auto", "--json")
    assert code == 0 and json.loads(out)["style_chosen_by"] == "converter"

    with pytest.raises(SystemExit) as usage:
        main(["--config", site, "artwork", "style", artwork_id, "woodcut"])
    assert usage.value.code == 2 and "invalid choice: 'woodcut'" in capsys.readouterr().err

    sheet = tmp_path / "compare.png"
    code, out, _ = gobo(capsys, "--config", site, "artwork", "compare", artwork_id, "--out",
                        str(sheet))
    assert (code, out.strip()) == (0, str(sheet))
    with Image.open(sheet) as image:
        assert image.format == "PNG" and image.width > 4 * image.height / 2
