"""Every permission of the role table has its route dependency, named after it."""

from typing import get_args

from api import permissions
from domain.roles import Action


def test_each_action_has_one_dependency_alias() -> None:
    for action in Action:
        name = "Can" + "".join(w.capitalize() for w in action.value.split("_"))
        alias = getattr(permissions, name, None)
        assert alias is not None, f"api/permissions.py lacks {name}"
        dependency = get_args(alias)[1].dependency
        assert dependency.action == action, f"{name} checks {dependency.action}, not {action}"
