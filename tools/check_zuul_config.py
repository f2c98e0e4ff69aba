"""Check a Zuul configuration file with Zuul's own parser: ``python tools/check_zuul_config.py
[.zuul.yaml]`` in an environment with zuul installed (``tox -e zuul-config``).

Each job and project stanza goes through the parser Zuul's scheduler uses
(``zuul.configloader``): its voluptuous schema, then the step that builds the job or
project from it (file matchers compiled with RE2, variable names, job-level checks).
What needs a running tenant, such as parent jobs and nodesets defined in other
repositories, is not checked here; tests/unit/test_zuul_config.py checks those names.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace


def check(path: Path) -> list[str]:
    """Zuul's error and warning messages for the file, as its scheduler would report
    them on a change (with the file's snippet and line)."""
    from zuul import configloader, model

    context = model.SourceContext("opendev.org/x/nova-scheduler-harness",
                                  "x/nova-scheduler-harness", "opendev", "master", path.name)
    # No connections, globals or Ansible: what only a running Zuul has.
    parse = configloader.ParseContext(SimpleNamespace(connections={}), None, None, None)
    parsers = {"job": parse.job_parser, "project": parse.project_parser}
    errors: list = []
    for stanza in configloader.safe_load_yaml(path.read_text(), context):
        (kind, body), = stanza.items()
        with parse.errorContext(error_list=errors, stanza=kind, conf=body), \
                parse.accumulator.catchErrors():
            if kind not in parsers:
                raise ValueError(f"a {kind} stanza: this repository defines jobs and "
                                 "its project only")
            parsers[kind].fromYaml(body)
    return [f"{e.severity}: {e.error}" for e in errors]


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else ".zuul.yaml")
    problems = check(path)
    for problem in problems:
        print(problem)
    print(f"{path}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
