"""What the commands import: nothing they do not use, and nothing from the test stack,
which a plain install (``pip install .``, the gate's) does not have."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = "scenarios/bug_1718455/live_migrate_to_other_host.toml"

# Run before the code under test: testtools and oslotest cannot be imported, as in an
# install without the test extra.
WITHOUT_TEST_STACK = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("testtools", "oslotest"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Absent())
"""


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=False)


# Neither command may need the test stack, which a plain install lacks (an import of it
# fails under WITHOUT_TEST_STACK), nor import hypothesis (explore's); only
# run --junit-xml needs the JUnit writer's XML.
@pytest.mark.parametrize("command, unused", [
    ("list", ("hypothesis",)),
    ("run", ("hypothesis", "xml.etree.ElementTree")),
])
def test_run_and_list_work_without_importing_what_they_do_not_use(command, unused):
    done = python(WITHOUT_TEST_STACK + "from harness.cli import main\n"
                  f"code = main([{command!r}, {UPSTREAM!r}])\n"
                  f"print('exit', code, [m for m in {unused!r} if m in sys.modules])\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "exit 0 []", done.stdout


def test_the_test_case_names_the_extra_it_needs():
    done = python(WITHOUT_TEST_STACK + "import harness.test\n")
    assert done.returncode == 1
    assert ("harness.test needs oslotest, from the test extra: "
            "pip install 'nova-scheduler-harness[test]'") in done.stderr
