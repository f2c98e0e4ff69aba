"""The fake cloud's policy is Nova's default policy: checked against the installed
Nova, so that a change of Nova's defaults is noticed here before it silently
makes the two backends disagree. Needs the nova extra."""

import pytest

import harness.backends.nova.cloud  # noqa: F401  # isort: skip  (Nova's test packages first)
from nova import policies as nova_policies

from harness.cloud.api.policy import _ROLE_OF, ADMIN, RULES

NOVA_DEFAULTS = {rule.name: rule.check_str for rule in nova_policies.list_rules()}


@pytest.mark.parametrize("action", sorted(RULES))
def test_each_action_has_novas_default_rule(action):
    assert NOVA_DEFAULTS.get(action) == RULES[action]


def test_the_base_rules_mean_what_the_fake_cloud_checks():
    assert NOVA_DEFAULTS[ADMIN.removeprefix("rule:")] == "role:admin"
    for rule, role in _ROLE_OF.items():
        name = rule.removeprefix("rule:")
        assert NOVA_DEFAULTS[name] == (f"rule:{name.removesuffix('_or_admin')}_api "
                                       "or rule:context_is_admin")
        assert NOVA_DEFAULTS[f"{name.removesuffix('_or_admin')}_api"] == (
            f"role:{role} and project_id:%(project_id)s")
