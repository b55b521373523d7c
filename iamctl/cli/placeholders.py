"""Help placeholders are words: `iamctl user create [OPTIONS] NAME`, `--path TEXT`.

Typer 0.28 writes a required argument as `{NAME}` in the usage line and a type as `<str>` or
`<int range>` in the help panels. `plain(command)` gives a built command's parameters the
classic words instead (NAME, [NAME] when optional, NAME... when repeated; TEXT, INTEGER, PATH),
keeping every explicit metavar (`FILE|-`, `KEY=VALUE`). It is applied where main.py builds
commands, so help, usage errors and the man pages (scripts/gen_docs.py) all say the same.
"""

import copy
from typing import Any

from typer.core import TyperArgument, TyperOption

# Click's type names -> the word shown for a value of that type.
_TYPE_WORDS = {"str": "TEXT", "int": "INTEGER", "int range": "INTEGER", "float": "NUMBER",
               "float range": "NUMBER", "path": "PATH", "file": "FILE", "filename": "FILE"}


def type_word(type_name: str) -> str:
    return _TYPE_WORDS.get(type_name, type_name.upper().replace(" ", "_"))


class WordArgument(TyperArgument):
    """An argument shown as NAME, [NAME] or NAME..., never {NAME}."""

    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:
        var = self.metavar or (self.name or "").upper()
        if self.nargs != 1 and not var.endswith("..."):
            var += "..."
        return f"[{var}]" if usage and not self.required else var

    @property
    def human_readable_name(self) -> str:  # what usage errors name: 'NAME', not 'name'
        return self.make_metavar(None)


class WordOption(TyperOption):
    """An option whose value is shown as its metavar, else its type's word: TEXT, not <str>."""

    def make_metavar(self, ctx: Any) -> str:
        if self.metavar is not None:
            return self.metavar
        var = type_word(self.type.name)
        return var + "..." if self.nargs != 1 else var


# A subclass per Click type whose metavar is "" rather than None, for arguments: the help
# panel prints `<type name>` for None next to an argument's NAME, where nothing is wanted.
_QUIET: dict[type, type] = {}


def _quiet(param_type: Any) -> Any:
    cls = type(param_type)
    if cls not in _QUIET.values():
        sub = _QUIET.get(cls)
        if sub is None:
            def get_metavar(self: Any, param: Any, ctx: Any, _base: Any = cls) -> str:
                return _base.get_metavar(self, param, ctx) or ""

            sub = _QUIET[cls] = type(cls.__name__, (cls,), {"get_metavar": get_metavar})
        param_type = copy.copy(param_type)
        param_type.__class__ = sub
    return param_type


def plain(command: Any) -> Any:
    """`command` (a Click command or group), its parameters shown with words; returns it."""
    for param in getattr(command, "params", ()):
        if type(param) is TyperArgument:
            param.__class__ = WordArgument
            param.type = _quiet(param.type)
        elif type(param) is TyperOption:
            param.__class__ = WordOption
    return command
