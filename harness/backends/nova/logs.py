"""What Nova's scheduler says in its log, read back: the lines behind a NoValidHost,
why a filter refused a host, and each weigher's score. Nova-free, so that the
formats it relies on are tested without Nova (tests/unit/test_nova_backend_offline.py).
"""

from __future__ import annotations

import ast
import logging
import re

from harness import verdicts

# nova/scheduler/manager.py's lines behind a NoValidHost.
HOST_COUNTS = re.compile(r"There are (\d+) hosts available but (\d+) instances requested")
NO_CANDIDATES = "Got no allocation candidates from the Placement API"
# nova.weights.BaseWeightHandler's line for each weigher: {(host, node): "m * w"}.
_SCORES = re.compile(r"^(\w+): score \(multiplier \* weight\) (\{.*\})$")
# What Nova's filters log when they refuse a host (after the host state's repr), in
# harness.verdicts' words. The group filters log what they check for every host,
# pass or fail, not why they refuse one: a host they remove has no reason.
_REASONS = (
    (re.compile(r" is disabled, reason: "), verdicts.SERVICE_DISABLED),
    (re.compile(r" has not been heard from in a while"), verdicts.SERVICE_DOWN),
)


def filter_reason(records: list[logging.LogRecord]) -> str | None:
    """Why a filter refused a host, from what it logged while checking it."""
    for record in records:
        message = record.getMessage()
        for pattern, reason in _REASONS:
            if pattern.search(message):
                return reason
    return None


def weigher_scores(records: list[logging.LogRecord]) -> dict[str, list[tuple[str, float]]]:
    """host -> [(weigher, multiplier * normalized weight)], those not 0, from what the
    weight handler logged while weighing."""
    scores: dict[str, list[tuple[str, float]]] = {}
    for record in records:
        match = _SCORES.match(record.getMessage())
        if match is None:
            continue
        weigher, by_host = match.group(1), ast.literal_eval(match.group(2))
        for (host, _node), product in by_host.items():
            multiplier, weight = (float(x) for x in product.split(" * "))
            if multiplier * weight:
                scores.setdefault(host, []).append((weigher, multiplier * weight))
    return scores
