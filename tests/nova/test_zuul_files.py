"""The Nova paths whose changes run the harness in Nova's gate (.zuul.yaml's
nova-scheduler-harness-nova job) each name something in the installed Nova: a
renamed module would otherwise silently stop triggering the job."""

import re
from pathlib import Path

import nova
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NOVA_FILES = [p.relative_to(Path(nova.__file__).parents[1]).as_posix()
              for p in Path(nova.__file__).parent.rglob("*.py")]
(JOB,) = [s["job"] for s in yaml.safe_load((ROOT / ".zuul.yaml").read_text())
          if s.get("job", {}).get("name") == "nova-scheduler-harness-nova"]


@pytest.mark.parametrize("pattern", JOB["files"])
def test_every_files_pattern_matches_a_file_of_nova(pattern):
    assert any(re.search(pattern, path) for path in NOVA_FILES)


def test_the_scheduler_and_the_request_spec_are_among_them():
    matched = {path for path in NOVA_FILES if any(re.search(p, path) for p in JOB["files"])}
    assert {"nova/scheduler/manager.py", "nova/objects/request_spec.py",
            "nova/conductor/tasks/live_migrate.py"} <= matched
    assert "nova/virt/libvirt/driver.py" not in matched
