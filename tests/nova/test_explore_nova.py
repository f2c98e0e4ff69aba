"""explore on real Nova: generated scenarios judged on Nova find a bug put back into it,
and --diff runs each on Nova. Needs the nova extra (tox -e functional-nova); slow (a
scenario takes seconds on Nova), so the budgets are small.

The command runs in a process of its own, as a user runs it: this one has imported
Nova's test packages (eventlet), in which explore's worker process cannot be started.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=1200, check=False)


def test_explore_on_nova_finds_a_persisted_field_and_writes_a_scenario_for_it(tmp_path):
    # The seed's third example cold-migrates a server: with the bug, Nova persists
    # ignore_hosts (deterministic on Nova: no weight tie decides it).
    done = run_cli("explore", "--backend", "nova", "--inject", "bug-1669054", "--seed", "7",
                   "--first", "--no-shrink", "--examples", "10", "--out", str(tmp_path))

    assert done.returncode == 1, done.stdout + done.stderr
    assert "FOUND per-request-field-persisted" in done.stdout
    assert ("on the installed Nova + bug-1669054: FAIL; on the installed Nova: PASS"
            in done.stdout)
    assert (tmp_path / "bug-1669054-per-request-field-persisted.toml").is_file()


def test_explore_diff_compares_each_scenario_with_nova(tmp_path):
    done = run_cli("explore", "--diff", "--seed", "1", "--examples", "3", "--steps", "4",
                   "--no-shrink", "--out", str(tmp_path))

    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "each also run on Nova" in done.stderr
    assert "compared with Nova" in done.stdout
