"""A scenario that expects a bug still present passes while the bug is there, and once
it is fixed fails with the expectations to write instead: written in, they pass on
the fixed code and catch the bug."""

import re
from pathlib import Path

from tests.functional.test_gate import run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "expect_bug_1669054.toml"


def test_while_the_bug_is_present_the_scenario_passes_and_says_so():
    code, out = run_cli("run", str(EXAMPLE), "--inject", "bug-1669054")
    assert code == 0, out
    assert "bug #1669054 still present" in out


def test_once_fixed_it_fails_with_the_expectations_that_flip_it(tmp_path):
    code, out = run_cli("run", str(EXAMPLE))
    assert code == 1
    assert "bug #1669054 fixed? " in out and "flip this scenario" in out
    suggestion = out.split("write these expectations instead:\n", 1)[1].split("  What changed:")[0]
    lines = [line.strip() for line in suggestion.splitlines()]
    assert lines[1] == "[steps.expect]"
    assert 'server = { status = "ACTIVE", host = "host1" }' in lines

    text = EXAMPLE.read_text()
    flipped = text[:text.rindex("[steps.expect]")] + "\n".join(lines[1:]) + "\n"
    flipped = re.sub(r'expect_bug = "1669054"', 'bugs = ["1669054"]', flipped)
    path = tmp_path / "flipped.toml"
    path.write_text(flipped)
    assert run_cli("run", str(path))[0] == 0
    code, out = run_cli("run", str(path), "--inject", "bug-1669054")
    assert code == 1 and "bug #1669054" in out
