"""``python -m harness explore``: generated scenarios find what no one wrote down.

``run`` is the gate: it checks the scenarios someone wrote, with the outcomes they
expected. ``explore`` writes scenarios itself. A hypothesis state machine draws a
cloud and then steps, each from what the cloud holds after the last one
(``machine``); each step is built as a scenario file's data, validated and built
by the loader and run at once on an open cloud (``session``), so the scenario
generated and the file written out are the same thing. Nothing generated says
what it expects, so each step is judged by rules that hold whatever the steps
were (``oracles``): the harness's invariants; that no per-request RequestSpec
field is persisted; that a named host is honoured; that only errors meaning "the
cloud cannot" are raised; anti-affinity on create. And the gate's oracle
(``twin``): a move of a server created with others (or on a forced host) must not
fail where the same move of servers created alone succeeds, judged by replaying
the scenario with lone creates and comparing the move from the same state. With
``--diff`` each scenario also runs on Nova and the outcomes are compared
(``diffing``).

What breaks an oracle is shrunk by hypothesis and written as an ordinary scenario
file, with the expectations the correct outcome needs, then run again: it must
fail on the code it was found on and pass on the reference code (``writer``).
``search`` drives hypothesis; ``command`` is the command line.

Modules here import hypothesis (the ``explore`` extra) except this one and
``command``, which imports it once the command line is known to be good.
"""

from pathlib import Path

DEFAULT_EXAMPLES = 500
DEFAULT_STEPS = 20
DEFAULT_OUT = Path("explore-found")
