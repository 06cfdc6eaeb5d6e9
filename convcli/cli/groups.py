"""Option groups: a dataclass of Typer options declared once and taken by several commands."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing


def with_option_groups(command):
    """Let `command` take dataclasses of options as parameters: Typer is shown each group's
    fields as options of their own, and the command is called with the group rebuilt from them.

    >>> @dataclasses.dataclass
    ... class Loud:
    ...     volume: int = 1
    >>> def shout(text: str, *, loud: Loud):
    ...     return text * loud.volume
    >>> grouped = with_option_groups(shout)
    >>> list(inspect.signature(grouped).parameters), grouped(text="a", volume=3)
    (['text', 'volume'], 'aaa')
    """
    signature = inspect.signature(command, eval_str=True)
    parameters, groups = [], {}
    for parameter in signature.parameters.values():
        group = parameter.annotation
        if not dataclasses.is_dataclass(group):
            # Keyword-only, all: Typer calls with keywords, and group fields may come between.
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        hints = typing.get_type_hints(group, include_extras=True)
        fields = [field for field in dataclasses.fields(group) if field.init]
        groups[parameter.name] = (group, [field.name for field in fields])
        parameters += [
            inspect.Parameter(
                field.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=hints[field.name],
                default=field.default if field.default is not dataclasses.MISSING else inspect.Parameter.empty,
            )
            for field in fields
        ]

    @functools.wraps(command)
    def run(**options):
        for name, (group, fields) in groups.items():
            options[name] = group(**{field: options.pop(field) for field in fields})
        return command(**options)

    run.__signature__ = signature.replace(parameters=parameters)
    run.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    return run
