#!/usr/bin/env python3
"""Generate iamctl's shell completion scripts, man pages and README's JSON reference.

    python scripts/gen_docs.py                 # rewrite completions/, man/ and README's JSON tables
    python scripts/gen_docs.py --check         # exit 1 and name every file that is out of date
    python scripts/gen_docs.py --out DIR       # write the same files under DIR instead

Everything comes from `typer.main.get_command(app)`: the root group (whose groups and top-level
commands load lazily, so the walk goes through `list_commands`/`get_command` like the CLI does),
each command's docstring (summary, details, `Example:` lines) and parameters. The EXIT STATUS,
ENVIRONMENT and FILES sections come from the README's "Exit status" and "Environment" tables
and its account-directory layout, checked against `ExitCode`, so man pages and README agree.
The completion scripts are what `iamctl --show-completion SHELL` prints (Typer's), with a
header. README's "JSON output reference" tables are written from the TypedDicts of
iamctl/cli/contract.py, between two HTML comments; the rest of the README is left as it is.
The output is deterministic: no dates, no paths of this machine or virtualenv.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PROG = "iamctl"
COMPLETE_VAR = "_IAMCTL_COMPLETE"
SHELLS = {"bash": "completions/iamctl.bash", "zsh": "completions/iamctl.zsh", "fish": "completions/iamctl.fish"}
GENERATED_DIRS = ("completions", "man")
REGENERATE = "python scripts/gen_docs.py"
# Options every Typer app gets; documented once, on the root page, not on every group's.
COMPLETION_OPTS = {"install_completion", "show_completion"}


# -- the command tree -------------------------------------------------------------------


@dataclass
class Node:
    """A command or group with its words after `iamctl`, e.g. ["user", "create"]."""

    words: list[str]
    command: Any
    ctx: Any

    @property
    def is_group(self) -> bool:
        return hasattr(self.command, "list_commands")

    @property
    def path(self) -> str:
        return " ".join([PROG, *self.words])


def command_tree() -> Node:
    """The root of the live command tree, with a context per node (as the CLI would build)."""
    import typer

    from iamctl.cli.main import app

    root = typer.main.get_command(app)
    return Node([], root, typer.Context(root, info_name=PROG))


def children(node: Node) -> list[Node]:
    import typer

    found = []
    for name in node.command.list_commands(node.ctx):
        sub = node.command.get_command(node.ctx, name)
        if sub is None or getattr(sub, "hidden", False):
            continue
        found.append(Node([*node.words, name], sub, typer.Context(sub, info_name=name, parent=node.ctx)))
    return found


def walk(node: Node) -> list[Node]:
    """The node and everything under it, depth first, in the CLI's listing order."""
    out = [node]
    if node.is_group:
        for child in children(node):
            out.extend(walk(child))
    return out


def all_commands() -> list[Node]:
    """Every registered command (not groups), as users type them: tests and the README check use it."""
    return [n for n in walk(command_tree()) if not n.is_group]


# -- help texts -------------------------------------------------------------------------


@dataclass
class Help:
    summary: str
    paragraphs: list[str]
    examples: list[str]


_EXAMPLE = re.compile(r"^Examples?:\s*(.*)$")


def parse_help(text: str | None) -> Help:
    """Split a docstring into its one-line summary, detail paragraphs and `Example:` lines."""
    import inspect

    paragraphs = [p for p in re.split(r"\n\s*\n", inspect.cleandoc(text or "")) if p.strip()]
    examples: list[str] = []
    rest: list[str] = []
    for p in paragraphs:
        lines = [ln.strip() for ln in p.splitlines()]
        m = _EXAMPLE.match(lines[0])
        if m:
            examples.extend(x for x in [m.group(1), *lines[1:]] if x)
        else:
            rest.append(" ".join(lines))
    summary = rest.pop(0) if rest else ""
    return Help(summary, rest, examples)


# -- troff ------------------------------------------------------------------------------


def _chars(text: str) -> str:
    text = text.replace("\\", "\\e")
    return "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)


def code(text: str) -> str:
    """Literal command-line text: hyphens are minus signs, so copy-paste gives real `-`."""
    return _chars(text).replace("-", "\\-")


def prose(text: str) -> str:
    """Running text; `backticked` spans become bold literals."""
    parts = re.split(r"`([^`]+)`", text)  # odd indexes are the backticked spans
    return "".join(f"\\fB{code(p)}\\fR" if i % 2 else _chars(p) for i, p in enumerate(parts))


def line(text: str) -> str:
    """A text line that troff will not take for a request."""
    return "\\&" + text if text[:1] in (".", "'") else text


def readme_markup(text: str) -> str:
    """A README table cell or line: `code` and **bold** spans to troff."""
    return prose(text.replace("**", ""))


# -- the README's reference sections ----------------------------------------------------


def _section(readme: str, heading: str) -> str:
    """The text under a README heading, up to the next heading (a `#` line outside code blocks)."""
    found: list[str] | None = None
    fenced = False
    for ln in readme.splitlines():
        if ln.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#+ ", ln):
            if found is not None:
                break
            if ln.lstrip("#").strip() == heading:
                found = []
                continue
        if found is not None:
            found.append(ln)
    if found is None:
        raise SystemExit(f"gen_docs: README.md has no '{heading}' section (the man pages are built from it)")
    return "\n".join(found) + "\n"


def _table(section: str, heading: str) -> list[tuple[str, str]]:
    rows = []
    for ln in section.splitlines():
        cells = [c.strip() for c in ln.strip().strip("|").split("|")] if ln.startswith("|") else []
        if len(cells) == 2 and not set(cells[0]) <= set("- ") and cells[0] not in ("status", "variable"):
            rows.append((cells[0], cells[1]))
    if not rows:
        raise SystemExit(f"gen_docs: README.md '{heading}' has no two-column table")
    return rows


@dataclass
class Reference:
    exit_status: list[tuple[str, str]]
    environment: list[tuple[str, str]]
    layout: list[str]


def reference(readme: str) -> Reference:
    from iamctl.cli.exit_codes import ExitCode

    exits = _table(_section(readme, "Exit status"), "Exit status")
    documented = {int(status) for status, _ in exits}
    missing = {int(c) for c in ExitCode} - documented
    if missing:
        raise SystemExit(f"gen_docs: README.md 'Exit status' table lacks ExitCode value(s) {sorted(missing)}")
    env = [(name.strip("`"), text) for name, text in _table(_section(readme, "Environment"), "Environment")]
    blocks = re.findall(r"^```\w*\n(.*?)^```", _section(readme, "The account directory"), re.M | re.S)
    layout = next((b for b in blocks if "iamctl.toml" in b), None)
    if layout is None:
        raise SystemExit("gen_docs: README.md 'The account directory' has no layout block naming iamctl.toml")
    return Reference(exits, env, layout.rstrip("\n").splitlines())


# -- man pages --------------------------------------------------------------------------


def _th(name: str, version: str) -> list[str]:
    # No date: it would change the page on every run. The version is what tells pages apart.
    # .nh/.ad l: option names and ARNs read badly hyphenated or stretched.
    return [f'.TH {code(name.upper())} 1 "" "{PROG} {version}" "{PROG} manual"', ".nh", ".ad l"]


# Placeholders are the words `--help` shows (iamctl/cli/placeholders.py): TEXT, NAME, [NAME], NAME...


def _metavar(param: Any, ctx: Any) -> str:
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    return param.make_metavar(ctx)


def _arg_metavar(param: Any, *, usage: bool = False) -> str:
    return param.make_metavar(None, usage=usage)


def _default(param: Any) -> str | None:
    value = param.default
    if value is None or value is False or value == () or value == [] or callable(value):
        return None
    if getattr(param, "is_flag", False) and value is True and not param.secondary_opts:
        return None
    if getattr(param, "show_default", None) is False:
        return None
    value = getattr(value, "value", value)  # enums print their value
    if isinstance(value, bool):
        return (param.opts if value else param.secondary_opts)[0]
    return str(value)


def _param_entry(p: Any, ctx: Any) -> list[str]:
    if p.param_type_name == "argument":
        tag = f"\\fI{code(_arg_metavar(p))}\\fR"
    else:
        names = ", ".join(f"\\fB{code(o)}\\fR" for o in [*p.opts, *p.secondary_opts])
        meta = _metavar(p, ctx)
        tag = names + (f" \\fI{code(meta)}\\fR" if meta else "")
    text = (getattr(p, "help", None) or "").strip()
    extra = []
    if getattr(p, "required", False) and p.param_type_name == "option":
        extra.append("Required.")
    if getattr(p, "multiple", False) and "repeatable" not in text.lower():
        extra.append("Repeatable.")
    default = _default(p)
    if default is not None:
        extra.append(f"Default: `{default}`.")
    if getattr(p, "envvar", None):
        extra.append(f"Environment: `{p.envvar}`.")
    return [".TP", line(tag), line(prose(" ".join([text, *extra]).strip()) or "\\&")]


def _params(node: Node, kind: str, *, keep_completion_opts: bool = False) -> list[str]:
    """The `.TP` entries of a command's arguments or options (kind: "argument" / "option")."""
    out: list[str] = []
    for p in node.command.get_params(node.ctx):
        if getattr(p, "hidden", False) or p.name == "help" or p.param_type_name != kind:
            continue
        if p.name in COMPLETION_OPTS and not keep_completion_opts:
            continue
        out += _param_entry(p, node.ctx)
    return out


def _usage(node: Node) -> str:
    params = [p for p in node.command.get_params(node.ctx) if not getattr(p, "hidden", False)]
    options = ["[OPTIONS]"] if any(p.param_type_name == "option" and p.name != "help" for p in params) else []
    args = [_arg_metavar(p, usage=True) for p in params if p.param_type_name == "argument"]
    return " ".join([node.path, *options, *args])


def _command_section(node: Node) -> list[str]:
    h = parse_help(node.command.help)
    out = [f'.SS "{code(_usage(node))}"']
    for para in [h.summary, *h.paragraphs]:
        if para:
            out += [".PP", line(prose(para))]
    for kind, title in (("argument", "Arguments:"), ("option", "Options:")):
        entries = _params(node, kind)
        if entries:
            out += [".PP", title, *entries]
    return out


def _examples(nodes: list[Node]) -> list[str]:
    out: list[str] = []
    for n in nodes:
        h = parse_help(n.command.help)
        if n.is_group or not h.examples:
            continue
        out += [".PP", line(prose(h.summary or n.path)), ".RS 4", ".nf", *(line(code(x)) for x in h.examples),
                ".fi", ".RE"]
    return out


def _common_sections(ref: Reference) -> list[str]:
    out = [".SH EXIT STATUS"]
    for status, meaning in ref.exit_status:
        out += [".TP", f"\\fB{code(status)}\\fR", line(readme_markup(meaning))]
    out += [".SH ENVIRONMENT"]
    for name, text in ref.environment:
        out += [".TP", f"\\fB{code(name)}\\fR", line(readme_markup(text))]
    out += [
        ".SH FILES",
        ".PP",
        "The account directory is chosen by \\fB\\-\\-dir\\fR, else \\fBIAMCTL_DIR\\fR, else",
        "\\fI$XDG_DATA_HOME/iamctl\\fR (\\fI~/.local/share/iamctl\\fR when \\fBXDG_DATA_HOME\\fR is unset).",
        "It holds:",
        ".PP",
        ".RS 4",
        ".nf",
        *(line(code(x)) for x in ref.layout),
        ".fi",
        ".RE",
    ]
    return out


def _see_also(pages: list[str], current: str) -> list[str]:
    refs = [p for p in pages if p != current]
    out = [".SH SEE ALSO"]
    for i, p in enumerate(refs):
        out.append(f".BR {code(p)} (1){',' if i < len(refs) - 1 else ''}")
    return out


def root_page(root: Node, tops: list[Node], ref: Reference, pages: list[str], version: str) -> list[str]:
    h = parse_help(root.command.help)
    groups = [n for n in tops if n.is_group]
    commands = [n for n in tops if not n.is_group]
    out = _th(PROG, version)
    out += [".SH NAME", f"{PROG} \\- {prose(h.summary)}"]
    out += [".SH SYNOPSIS", f"\\fB{PROG}\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]..."]
    out += [".SH DESCRIPTION"]
    for para in h.paragraphs:
        out += [".PP", line(prose(para))]
    out += [".PP", "Each command group has its own manual page, e.g. \\fBman iamctl\\-user\\fR;",
            "\\fIiamctl COMMAND \\-\\-help\\fR prints the same help on the terminal.",
            "The global options below go before the command: \\fBiamctl \\-o json user list\\fR."]
    out += [".SH OPTIONS", *_params(root, "option", keep_completion_opts=True)]
    out += [".SH COMMANDS"]
    for g in groups:
        out += [".TP", f"\\fB{code(g.words[-1])}\\fR",
                line(prose(parse_help(g.command.help).summary) + f" See \\fB{code(f'{PROG}-{g.words[-1]}')}\\fR(1).")]
    for c in commands:
        out += [".TP", f"\\fB{code(c.words[-1])}\\fR", line(prose(parse_help(c.command.help).summary))]
    for c in commands:
        out += _command_section(c)
    out += _common_sections(ref)
    out += [".SH EXAMPLES", *_examples(commands)]
    out += _see_also(pages, PROG)
    return out


def group_page(group: Node, ref: Reference, pages: list[str], version: str) -> list[str]:
    name = f"{PROG}-{group.words[-1]}"
    h = parse_help(group.command.help)
    nodes = walk(group)[1:]
    out = _th(name, version)
    out += [".SH NAME", f"{code(name)} \\- {prose(h.summary)}"]
    out += [".SH SYNOPSIS",
            f"\\fB{PROG}\\fR [\\fIGLOBAL OPTIONS\\fR] \\fB{code(group.words[-1])}\\fR \\fICOMMAND\\fR "
            "[\\fIOPTIONS\\fR] [\\fIARGS\\fR]..."]
    out += [".SH DESCRIPTION"]
    for para in h.paragraphs:
        out += [".PP", line(prose(para))]
    out += [".PP", "The global options (\\fB\\-\\-dir\\fR, \\fB\\-\\-account\\fR, \\fB\\-\\-output\\fR,",
            f"\\fB\\-\\-debug\\fR) are described in \\fB{PROG}\\fR(1).",
            f"\\fI{code(group.path)} COMMAND \\-\\-help\\fR prints a command's help on the terminal."]
    out += [".SH COMMANDS"]
    for n in nodes:
        if n.is_group:
            sub = parse_help(n.command.help)
            out += [f'.SS "{code(n.path)} COMMAND"', ".PP", line(prose(sub.summary or n.path))]
            out += [line(prose(p)) for p in sub.paragraphs]
        else:
            out += _command_section(n)
    out += _common_sections(ref)
    out += [".SH EXAMPLES", *_examples(nodes)]
    out += _see_also(pages, name)
    return out


def man_pages(root: Node, ref: Reference) -> dict[str, str]:
    from iamctl import __version__

    tops = children(root)
    groups = [n for n in tops if n.is_group]
    pages = [PROG, *(f"{PROG}-{g.words[-1]}" for g in groups)]
    out = {"man/iamctl.1": root_page(root, tops, ref, pages, __version__)}
    for g in groups:
        out[f"man/{PROG}-{g.words[-1]}.1"] = group_page(g, ref, pages, __version__)
    header = f'.\\" Generated by {REGENERATE} from the iamctl command tree; do not edit.'
    return {path: "\n".join([header, *lines]) + "\n" for path, lines in out.items()}


# -- completion scripts -----------------------------------------------------------------


def completion_scripts() -> dict[str, str]:
    """What `iamctl --show-completion SHELL` prints, for each shell, with a header comment
    (and, for zsh, the first-TAB fix of `adapt`).

    Typer's `get_completion_script` is the function behind --show-completion once the shell is
    known; calling it directly skips shell detection (shellingham), so the output depends on
    nothing but the program name. The scripts only call back into `iamctl` through the
    `_IAMCTL_COMPLETE` protocol: commands, options and entity names come from the live program.
    """
    from typer._completion_shared import get_completion_script

    header = f"# iamctl {{shell}} completion: generated by {REGENERATE} (Typer's script); do not edit."
    out = {}
    for shell, path in SHELLS.items():
        script = adapt(shell, get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell))
        lines = script.splitlines()
        note = header.format(shell=shell)
        # zsh needs `#compdef` as the first line of an autoloaded completion file.
        lines = [lines[0], note, *lines[1:]] if lines[0].startswith("#compdef") else [note, *lines]
        out[path] = "\n".join(lines) + "\n"
    return out


_ZSH_COMPDEF = f"compdef _{PROG}_completion {PROG}"
_ZSH_AUTOLOADED = f"""if [[ "${{funcstack[1]}}" == "_{PROG}" ]]; then
  _{PROG}_completion "$@"
else
  {_ZSH_COMPDEF}
fi"""


def adapt(shell: str, script: str) -> str:
    """Typer's script, made to work on the first TAB when zsh autoloads it from $fpath.

    Installed as `_iamctl` on $fpath, the file is the body of the function `_iamctl`, which
    Typer's script only uses to define `_iamctl_completion` and register it, so the first TAB
    of every shell session completes nothing. Called as `_iamctl`, it now also completes;
    sourced (`source <(iamctl --show-completion zsh)`), it registers as before.
    """
    if shell != "zsh":
        return script
    if script.count(_ZSH_COMPDEF) != 1:
        raise SystemExit(f"gen_docs: Typer's zsh script changed: no single '{_ZSH_COMPDEF}' line to adapt")
    return script.replace(_ZSH_COMPDEF, _ZSH_AUTOLOADED)


# -- README's JSON output reference ------------------------------------------------------

JSON_BEGIN = f"<!-- generated by {REGENERATE} from iamctl/cli/contract.py: edit the TypedDicts, not this -->"
JSON_END = "<!-- end of the generated JSON reference -->"


def _peel(hint: Any) -> tuple[Any, list[Any]]:
    """The type under Annotated[...] and NotRequired[...] (in either order), and the metadata."""
    import typing

    meta: list[Any] = []
    while True:
        origin = typing.get_origin(hint)
        if origin is typing.Annotated:
            meta += hint.__metadata__
            hint = hint.__origin__
        elif origin in (typing.NotRequired, typing.Required):
            hint = typing.get_args(hint)[0]
        else:
            return hint, meta


def _record_name(td: Any, records: dict[str, Any]) -> str | None:
    return next((name for name, record in records.items() if record is td), None)


def _json_value(hint: Any, records: dict[str, Any]) -> str:
    """How a value of type `hint` is written: a record's name, `[...]` for a list of something
    worth naming, `{keys}` for an unnamed object, `Record + keys` for a record with more keys,
    `(X or null)` for a nullable structure; "" for scalars and plain lists."""
    import types
    import typing

    from iamctl.cli.contract import Shown

    hint, meta = _peel(hint)
    shown = [m.text for m in meta if isinstance(m, Shown)]
    if shown:
        return shown[0]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if typing.is_typeddict(hint):
        name = _record_name(hint, records)
        if name:
            return name
        keys = list(typing.get_type_hints(hint, include_extras=True))
        for base_name, base in records.items():
            base_keys = list(typing.get_type_hints(base))
            if keys[: len(base_keys)] == base_keys and len(keys) > len(base_keys):
                return f"{base_name} + {_json_keys(hint, records, skip=len(base_keys))}"
        return "{" + _json_keys(hint, records) + "}"
    if origin is list:
        inner = _json_value(args[0], records)
        return f"[{inner}]" if inner else ""
    if origin in (types.UnionType, typing.Union) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        inner = _json_value(rest[0], records) if len(rest) == 1 else ""
        return f"({inner} or null)" if inner else ""
    return ""


def _literal_values(hint: Any) -> str:
    import types
    import typing

    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        found = [_literal_values(a) for a in typing.get_args(hint)]
        return next((f for f in found if f), "")
    if typing.get_origin(hint) is not typing.Literal:
        return ""
    values = [str(v) for v in typing.get_args(hint)]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def _json_keys(td: Any, records: dict[str, Any], *, quoted: bool = False, skip: int = 0) -> str:
    """A TypedDict's keys as the reference writes them: `Name? [Value] (values; note)`."""
    import typing

    from iamctl.cli.contract import Note

    out = []
    for key, hint in list(typing.get_type_hints(td, include_extras=True).items())[skip:]:
        base, meta = _peel(hint)
        text = (f'"{key}"' if quoted else key) + ("?" if key in td.__optional_keys__ else "")
        value = _json_value(hint, records)
        notes = [v for v in [_literal_values(base), *(m.text for m in meta if isinstance(m, Note))] if v]
        if value:
            text += f": {value}" if quoted else f" {value}"
        out.append(text + (f" ({'; '.join(notes)})" if notes else ""))
    return ", ".join(out)


def _commands_cell(commands: tuple[str, ...]) -> str:
    """`user`, `group`, `role list-policies` for one subcommand of several groups, else each in full."""
    heads, tails = zip(*(c.split(" ", 1) if " " in c else (c, "") for c in commands), strict=True)
    if len(commands) > 1 and len(set(tails)) == 1 and tails[0]:
        return ", ".join(f"`{h}`" for h in heads[:-1]) + f", `{heads[-1]} {tails[0]}`"
    return ", ".join(f"`{c}`" for c in commands)


def json_reference() -> str:
    """README's two tables of JSON shapes, from iamctl/cli/contract.py, between the markers."""
    from iamctl.cli.contract import OUTPUTS, RECORDS

    lines = [JSON_BEGIN, "", "These records appear inside the outputs below:", "", "| record | keys |", "| --- | --- |"]
    lines += [f"| {name} | {_json_keys(td, {n: r for n, r in RECORDS.items() if r is not td})} |"
              for name, td in RECORDS.items()]
    lines += ["", "| command | output |", "| --- | --- |"]
    for out in OUTPUTS:
        shape = "{" + _json_keys(out.shape, RECORDS, quoted=not out.record) + "}"
        lines.append(f"| {_commands_cell(out.commands)} | `{shape}`{', ' + out.note if out.note else ''} |")
    return "\n".join([*lines, "", JSON_END])


def readme_with_reference(readme: str) -> str:
    """The README with its generated JSON reference replaced by today's."""
    begin = readme.find(JSON_BEGIN)
    end = readme.find(JSON_END)
    if begin < 0 or end < begin:
        raise SystemExit(f"gen_docs: README.md has no '{JSON_BEGIN}' ... '{JSON_END}' block for the JSON reference")
    return readme[:begin] + json_reference() + readme[end + len(JSON_END):]


# -- everything -------------------------------------------------------------------------


def generate() -> dict[str, str]:
    """Every generated file: repository-relative path -> text (README.md: its JSON reference)."""
    readme = readme_with_reference((REPO / "README.md").read_text(encoding="utf-8"))
    files = {"README.md": readme, **completion_scripts(), **man_pages(command_tree(), reference(readme))}
    _check_portable(files)
    return files


def _check_portable(files: dict[str, str]) -> None:
    """Refuse output that names this machine: a home directory, the venv or the checkout."""
    local = {str(Path.home()), sys.prefix, str(REPO)} - {"/", ""}
    for path, text in files.items():
        for item in local:
            if item in text:
                raise SystemExit(f"gen_docs: {path} contains the machine-specific path {item!r}")


def write(files: dict[str, str], out: Path) -> list[str]:
    """Write `files` under `out`, removing stale generated man pages; return what changed."""
    changed = []
    for rel, text in files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(rel)
    for stale in sorted((out / "man").glob("iamctl*.1")):
        rel = f"man/{stale.name}"
        if rel not in files:
            stale.unlink()
            changed.append(rel)
    return changed


def differences(files: dict[str, str], out: Path) -> list[str]:
    """The files under `out` that differ from `files`: missing, changed or stale."""
    bad = [rel for rel, text in files.items()
           if not (out / rel).is_file() or (out / rel).read_text(encoding="utf-8") != text]
    bad += [f"man/{p.name}" for p in sorted((out / "man").glob("iamctl*.1")) if f"man/{p.name}" not in files]
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO, help="write under this directory (default: the repo)")
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args(argv)
    # Help texts must not depend on the terminal this runs in.
    os.environ.update({"NO_COLOR": "1", "TERMINAL_WIDTH": "100", "COLUMNS": "100"})
    files = generate()
    if args.check:
        bad = differences(files, args.out)
        for rel in bad:
            print(f"out of date: {rel} (run {REGENERATE})")
        return 1 if bad else 0
    for rel in write(files, args.out):
        print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
