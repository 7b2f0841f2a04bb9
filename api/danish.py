"""Danish words for the libraries' English ones: pydantic's validation errors (API and MCP) and
typer/click's help and usage errors (CLI).

One owner, so that every surface says a rejected value the same way: "limit: skal være højst 100",
never "Input should be less than or equal to 100" with a link to pydantic.dev.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

#: pydantic error type -> Danish text; `{name}` is filled from the error's `ctx`.
_PYDANTIC: dict[str, str] = {
    "missing": "mangler",
    "missing_argument": "mangler",
    "extra_forbidden": "er ukendt",
    "unknown_parameter": "er en ukendt parameter{suggestion}; kendte: {known}",
    "page_number": "skal være et sidetal fra 1 til {max}",
    "unexpected_keyword_argument": "er ukendt",
    "string_type": "skal være tekst",
    "string_too_short": "skal have mindst {min_length} tegn",
    "string_too_long": "må højst have {max_length} tegn",
    "string_pattern_mismatch": "har ikke den rette form ({pattern})",
    "int_type": "skal være et heltal",
    "int_parsing": "skal være et heltal",
    "int_from_float": "skal være et heltal",
    "float_type": "skal være et tal",
    "float_parsing": "skal være et tal",
    "bool_type": "skal være true eller false",
    "bool_parsing": "skal være true eller false",
    "less_than_equal": "skal være højst {le}",
    "less_than": "skal være under {lt}",
    "greater_than_equal": "skal være mindst {ge}",
    "greater_than": "skal være over {gt}",
    "dict_type": "skal være et objekt",
    "model_type": "skal være et objekt",
    "list_type": "skal være en liste",
    "literal_error": "skal være en af {expected}",
    "enum": "skal være en af {expected}",
    "date_from_datetime_parsing": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "date_parsing": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "json_invalid": "er ikke gyldig JSON",
}


def pydantic_message(error: dict[str, Any]) -> str:
    """One pydantic error (`ValidationError.errors()` item) as 'where: what', in Danish."""
    where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body"))
    template = _PYDANTIC.get(str(error.get("type")), "er ugyldig")
    try:
        text = template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        text = template.split(" {")[0]
    return f"{where}: {text}" if where else text


def unknown_parameter_errors(unknown: list[str], known: list[str]) -> list[dict[str, Any]]:
    """Errors (in pydantic's form) for query parameters a page or route does not take, each naming
    the nearest known one and all of them: `?municipalty=Odense` is a typo, not a search of all."""
    errors = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        suggestion = f" (mente du '{close[0]}'?)" if close else ""
        ctx = {"suggestion": suggestion, "known": ", ".join(known) or "ingen"}
        errors.append({"type": "unknown_parameter", "loc": ("query", name), "msg": "unknown", "ctx": ctx})
    return errors


def pydantic_messages(errors: list[dict[str, Any]]) -> str:
    return "; ".join(pydantic_message(e) for e in errors)


# -- the CLI (typer with its vendored click) ----------------------------------------------------------

#: click's English usage errors -> Danish, applied in order to the whole message.
_CLICK: list[tuple[re.Pattern, str]] = [
    (re.compile(r"\. Did you mean (.+)\?$"), r"; mente du \1?"),
    (re.compile(r"^Did you mean (.+)\?$"), r"Mente du \1?"),
    (re.compile(r"^Missing argument '([^']+)'\.?"), r"mangler argumentet '\1'"),
    (re.compile(r"^Missing option '([^']+)'\.?"), r"mangler tilvalget '\1'"),
    (re.compile(r"^Missing parameter: (.+)"), r"mangler \1"),
    (re.compile(r"^Missing command\.?"), "mangler en kommando"),
    (re.compile(r"^No such option: (\S+)"), r"ukendt tilvalg: \1"),
    (re.compile(r"\s*\(Possible options: ([^)]+)\)"), r"; mente du \1?"),
    (re.compile(r"^No such command '([^']+)'\.?"), r"ukendt kommando '\1'"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)"), r"uventet ekstra argument: \1"),
    (re.compile(r"^Option '([^']+)' requires an argument\.?"), r"tilvalget '\1' kræver en værdi"),
    (re.compile(r"^Option '([^']+)' does not take a value\.?"), r"tilvalget '\1' tager ingen værdi"),
    (re.compile(r"^Invalid value for ([^:]+): "), r"ugyldig værdi for \1: "),
    (re.compile(r"^Invalid value: "), "ugyldig værdi: "),
    (re.compile(r"Value ('[^']*') is not a valid ([\w ]+)\.?"), r"\1 er ikke gyldig (\2)"),
    (re.compile(r"Input should be a valid integer[^.;]*"), "skal være et heltal"),
    (re.compile(r"Input should be a valid number[^.;]*"), "skal være et tal"),
    (re.compile(r"Input should be a valid boolean[^.;]*"), "skal være true eller false"),
    (re.compile(r"Input should be less than or equal to (\S+)"), r"skal være højst \1"),
    (re.compile(r"Input should be greater than or equal to (\S+)"), r"skal være mindst \1"),
    (re.compile(r"Input should be less than (\S+)"), r"skal være under \1"),
    (re.compile(r"Input should be greater than (\S+)"), r"skal være over \1"),
    (re.compile(r"(\S+) is not in the range ([^.]+)\.?"), r"\1 ligger ikke i intervallet \2"),
    (re.compile(r"(\S+) is not one of (.+)\.$"), r"\1 er ikke en af \2"),
    (re.compile(r"Path '([^']+)' does not exist\.?"), r"stien '\1' findes ikke"),
]
_TYPES = {"str": "tekst", "int": "heltal", "float": "tal", "Path": "sti", "int range": "heltal", "float range": "tal"}
HELP_TEXT = "Vis denne hjælp og afslut."
OPTIONS_METAVAR = "[TILVALG]"
SUBCOMMAND_METAVAR = "KOMMANDO [ARGUMENTER]..."


def click_message(text: str) -> str:
    for pattern, replacement in _CLICK:
        text = pattern.sub(replacement, text)
    return text


def _type_label(display: str | None) -> str | None:
    if not display:
        return display
    return re.sub(r"(?<=[<\[])([\w ]+)(?=[>\]])", lambda m: _TYPES.get(m.group(1), m.group(1)), display)


_installed = False


def install_cli() -> None:
    """Put Danish into typer's help pages and usage errors (once per process): panel titles, the help
    option's text, type hints (no `<bool>` after a flag), "Brug:" and the errors click raises."""
    global _installed
    if _installed:
        return
    _installed = True
    from typer import core, rich_utils
    from typer._click import core as click_core
    from typer._click import formatting

    for name, value in {
        "ARGUMENTS_PANEL_TITLE": "Argumenter",
        "OPTIONS_PANEL_TITLE": "Tilvalg",
        "COMMANDS_PANEL_TITLE": "Kommandoer",
        "ERRORS_PANEL_TITLE": "Fejl",
        "ABORTED_TEXT": "Afbrudt.",
        "RICH_HELP": "Prøv [blue]'{command_path} {help_option}'[/] for hjælp.",
        "DEFAULT_STRING": "[standard: {}]",
        "ENVVAR_STRING": "[miljøvariabel: {}]",
        "REQUIRED_LONG_STRING": "[påkrævet]",
        "DEPRECATED_STRING": "(forældet) ",
    }.items():
        setattr(rich_utils, name, value)

    for cls in (core.TyperOption, core.TyperArgument):
        original = cls.display_type_rich

        def display_type_rich(self, ctx, _original=original):
            if getattr(self, "is_flag", False):
                return None  # a flag takes no value: "<bool>" says nothing
            return _type_label(_original(self, ctx))

        cls.display_type_rich = display_type_rich

    original_help_option = click_core.Command.get_help_option

    def get_help_option(self, ctx):
        option = original_help_option(self, ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    click_core.Command.get_help_option = get_help_option

    original_usage = formatting.HelpFormatter.write_usage

    def write_usage(self, prog, args="", prefix=None):
        return original_usage(self, prog, args, "Brug: " if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage

    def format_error(exc) -> None:
        """A usage error: the usage line, where to get help, and the Danish message on one line."""
        if exc.__class__.__name__ == "NoArgsIsHelpError":
            return
        console = rich_utils._get_rich_console(stderr=True)
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            console.print(ctx.get_usage(), markup=False, highlight=False)
            if ctx.command.get_help_option(ctx) is not None:
                console.print(f"Prøv '{ctx.command_path} {ctx.help_option_names[0]}' for hjælp.", markup=False)
        console.print(f"[red]fejl:[/red] {rich_utils.escape(click_message(exc.format_message()))}", highlight=False)

    rich_utils.rich_format_error = format_error
