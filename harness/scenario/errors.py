"""Which exception an instance action event or a fault records.

Nova stores only the stack frames of a failure (``traceback.format_tb``; see
nova/objects/instance_action.py and nova/compute/utils.py), not the final
``Class: message`` line, so the class is found as a person would find it:
a ``Class: message`` line if there is one, else the innermost frame that
raises one of the backend's exception classes, else the message matched
against those classes' message templates.
"""

from __future__ import annotations

import builtins
import re
from types import ModuleType

_CLASS_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?([A-Z]\w*)(?::\s|:?$)")
_RAISE_LINE = re.compile(r"^\s*raise\s+(?:[\w.]+\.)?(\w+)\(")
_IDENTIFIER = re.compile(r"^[A-Z]\w*$")
_FORMAT_FIELD = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdrif]")


def exception_class(traceback_text: str | None, details: str | None,
                    exceptions: ModuleType) -> str | None:
    known = {name: obj for name, obj in vars(exceptions).items()
             if isinstance(obj, type) and issubclass(obj, Exception)}
    lines = (traceback_text or "").strip().splitlines()
    exception_line = _exception_line(lines)
    if exception_line is not None:
        return exception_line
    for line in reversed(lines):
        match = _RAISE_LINE.match(line)
        if match and match.group(1) in known:
            return match.group(1)
    if details and _IDENTIFIER.match(details) and isinstance(
            getattr(builtins, details, None), type):
        # Not a Nova exception: Nova records only its class name (exception_to_dict).
        return details
    return _class_from_message(details, known) if details else None


def _exception_line(lines: list[str]) -> str | None:
    """The class on the ``Class: message`` line after the last frame, if printed.

    The message may run over several lines, so the line is looked for right
    after the frames, not at the end.
    """
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    start = frames[-1] + 1 if frames else 0
    for line in lines[start:]:
        if line.startswith(" "):
            continue  # the source line shown under a frame
        match = _CLASS_LINE.match(line)
        return match.group(1) if match else None
    return None


def _class_from_message(details: str, known: dict[str, type]) -> str | None:
    # A template of fields alone ("%(detail)s") matches any message: it says nothing.
    hits = [name for name, cls in known.items()
            if isinstance(getattr(cls, "msg_fmt", None), str)
            and _FORMAT_FIELD.sub("", cls.msg_fmt).strip()
            and _template(cls.msg_fmt).match(details)]
    if not hits:
        return None
    # The template with the most fixed text is the most specific; then the
    # deepest class (MaxRetriesExceeded over NoValidHost).
    hits.sort(key=lambda n: (-len(_FORMAT_FIELD.sub("", known[n].msg_fmt)),
                             -len(known[n].__mro__)))
    return hits[0]


def _template(msg_fmt: str) -> re.Pattern[str]:
    parts = _FORMAT_FIELD.split(msg_fmt)
    return re.compile("^" + ".*?".join(re.escape(p) for p in parts) + "$", re.S)
