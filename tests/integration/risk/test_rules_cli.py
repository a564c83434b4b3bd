"""``bankstack risk rules ...`` on a SQLite file: check, load, shadow, activate, list, and the
exit statuses of bad input (2) and refused changes (1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bankstack.entrypoints.cli import app
from bankstack.risk.rules import default_ruleset, strict_ruleset
from bankstack.risk.rules.files import packaged_text
from tests.unit.risk.rules.texts import rule, ruleset_text

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "default": packaged_text("default.toml"),
        "strict": packaged_text("strict.toml"),
        "bad": ruleset_text(rule("R_PEEK", "amount.currency == 'CNY'")),
    }
    for name, text in made.items():
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    return {name: tmp_path / f"{name}.toml" for name in made}


def rules(*args: str) -> Result:
    return runner.invoke(app, ["risk", "rules", *args])


def one_error_line(result: Result) -> str:
    lines: list[str] = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


def test_check_shows_the_rules(files):
    result = rules("check", str(files["default"]))
    assert result.exit_code == 0, result.output
    assert default_ruleset().version in result.output
    assert "R_CARD_TESTING" in result.output
    assert f"({len(default_ruleset().rules)} rules)" in result.output


def test_check_refuses_bad_input_in_one_line(files, tmp_path):
    result = rules("check", str(files["bad"]))
    assert result.exit_code == 2
    assert (
        one_error_line(result)
        == f"{files['bad']}: rule R_PEEK: field or method '.currency' is not allowed"
    )
    missing = rules("check", str(tmp_path / "none.toml"))
    assert missing.exit_code == 2
    assert one_error_line(missing).endswith("none.toml: No such file or directory")


def test_load_shadow_activate_list(files, sqlite_url):
    db = ("--database-url", sqlite_url)
    loaded = rules("load", str(files["default"]), "--by", "ana", *db)
    assert loaded.exit_code == 0, loaded.output
    assert f"{default_ruleset().version} is stored (draft)" in loaded.output
    assert rules("load", str(files["default"]), "--by", "ana", *db).exit_code == 0  # a reload
    assert rules("load", str(files["strict"]), *db).exit_code == 0  # --by defaults to the OS user

    activated = rules("activate", "default", "1", "--by", "bo", *db)
    assert activated.exit_code == 0, activated.output
    assert f"{default_ruleset().version} is active (by bo)" in activated.output
    shadowed = rules("shadow", "default", "2", "--by", "cy", *db)
    assert shadowed.exit_code == 0, shadowed.output
    assert f"{strict_ruleset().version} is in shadow (by cy)" in shadowed.output

    listed = rules("list", *db)
    assert listed.exit_code == 0, listed.output
    rows = [line.split("│")[1:4] for line in listed.output.splitlines() if "default" in line]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["default", "1", "active"],
        ["default", "2", "shadow"],
    ]


def test_bad_input_and_refused_changes(files, sqlite_url):
    db = ("--database-url", sqlite_url)
    assert rules("load", str(files["default"]), "--by", "ana", *db).exit_code == 0
    assert rules("activate", "default", "1", "--by", "bo", *db).exit_code == 0

    unknown = rules("activate", "default", "7", "--by", "bo", *db)
    assert (unknown.exit_code, one_error_line(unknown)) == (2, "no rule set default version 7")
    blank = rules("shadow", "default", "1", "--by", " ", *db)
    assert blank.exit_code == 2
    refused = rules("shadow", "default", "1", "--by", "bo", *db)
    assert refused.exit_code == 1
    assert one_error_line(refused) == (
        "default version 1 is the active version; it cannot also be the shadow candidate"
    )
    assert rules("activate", "default", "1", *db).exit_code == 2  # --by is required
    assert rules("list", "--database-url", "mysql://db/x").exit_code == 2
    empty = rules("list", "--name", "nothing", *db)
    assert (empty.exit_code, empty.output.strip()) == (0, "no rule sets stored")
