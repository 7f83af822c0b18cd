"""Repeatable target groups on the command line, shared by ``glass rmc`` and ``glass sample``.

``--target FILE`` opens a group; the group's other options (``--kind``, ``--weight``,
``--sigma``, ...) fill the latest group. The groups land in ``args.targets`` as dicts
``{"target": FILE, <option>: value, ...}`` with the parser's per-group defaults filled in.
An option before any ``--target`` or given twice in one group raises
:class:`~glasslib.core.errors.InputError` (one line, exit status 2 from ``glass``).
"""

from __future__ import annotations

import argparse

from glasslib.core.errors import InputError


class TargetGroupAction(argparse.Action):
    """argparse action for the options of a target group (see the module docstring).

    ``group_defaults`` (a dict) gives the values a new group starts with, e.g. ``{"weight": 1.0}``.
    """

    def __init__(self, option_strings, dest, group_defaults=None, **kwargs):
        self.group_defaults = dict(group_defaults or {})
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        groups = list(getattr(namespace, "targets", None) or [])
        if self.dest == "target":
            groups.append({**self.group_defaults, "target": values, "_given": set()})
        else:
            if not groups:
                raise InputError(f"{option_string} {values} comes before any --target; "
                                 f"write --target FILE {option_string} {values}")
            if self.dest in groups[-1]["_given"]:
                raise InputError(f"{option_string} given twice for target {groups[-1]['target']}")
            groups[-1][self.dest] = values
            groups[-1]["_given"].add(self.dest)
        namespace.targets = groups


def target_groups(args) -> list[dict]:
    """The parsed groups without bookkeeping keys."""
    return [{k: v for k, v in g.items() if k != "_given"} for g in (getattr(args, "targets", None) or [])]
