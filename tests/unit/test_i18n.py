"""Catalog consistency, key coverage of the code, escaping and language choice."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.domain import NoticeKind, OrderState, ProviderName
from bot.i18n import CATALOGS, LANGS, Html, Lang, as_lang, en, resolve_lang, t, zh
from bot.parsing import (
    InputError,
    parse_amount,
    parse_deadline,
    parse_duration,
    parse_payee,
    parse_price,
    parse_receivers,
)
from bot.providers.errors import FailureReason
from bot.telegram import keyboards
from bot.telegram.draft import STEPS
from bot.telegram.handlers import basic
from bot.tron_address import address_from_bytes

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


# -- the catalogs themselves ------------------------------------------------------------


def test_catalogs_are_registered() -> None:
    assert set(LANGS) == {"zh", "en"}
    assert CATALOGS["en"] is en.MESSAGES
    assert CATALOGS["zh"] is zh.MESSAGES
    assert len(en.MESSAGES) > 50


def test_catalogs_have_the_same_keys() -> None:
    assert sorted(set(en.MESSAGES) - set(zh.MESSAGES)) == []
    assert sorted(set(zh.MESSAGES) - set(en.MESSAGES)) == []


@pytest.mark.parametrize("key", sorted(en.MESSAGES))
def test_placeholders_match_between_languages(key: str) -> None:
    assert _placeholders(zh.MESSAGES[key]) == _placeholders(en.MESSAGES[key])


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_formats_with_dummy_params(lang: Lang) -> None:
    for key, template in CATALOGS[lang].items():
        assert template.strip(), key
        params = {name: f"<{name}>" for name in _placeholders(template)}
        text = t(lang, key, **params)
        for name in params:
            assert f"&lt;{name}&gt;" in text, (lang, key, name)


@pytest.mark.parametrize("lang", LANGS)
def test_placeholder_names_are_plain_identifiers(lang: Lang) -> None:
    # t() turns every value into an escaped str, so a format spec like {n:,} would break.
    for key, template in CATALOGS[lang].items():
        for _, field, spec, conversion in string.Formatter().parse(template):
            if field is None:
                continue
            assert field.isidentifier(), (key, field)
            assert not spec, (key, spec)
            assert conversion is None, (key, conversion)


# -- every key the code uses exists ------------------------------------------------------


@dataclass(frozen=True)
class Call:
    where: str
    key: str  # literal key, or an f-string pattern with "{}" for each hole
    is_pattern: bool
    kwargs: frozenset[str]
    has_star_kwargs: bool
    key_source: str


def _t_calls() -> Iterator[Call]:
    for path in sorted(BOT_DIR.rglob("*.py")):
        if "i18n" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and len(node.args) >= 2
            ):
                continue
            where = f"{path.relative_to(BOT_DIR.parent)}:{node.lineno}"
            arg = node.args[1]
            kwargs = frozenset(k.arg for k in node.keywords if k.arg is not None)
            star = any(k.arg is None for k in node.keywords)
            source = ast.unparse(arg)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield Call(where, arg.value, False, kwargs, star, source)
            elif (
                isinstance(arg, ast.IfExp)
                and isinstance(arg.body, ast.Constant)
                and isinstance(arg.orelse, ast.Constant)
            ):
                for branch in (arg.body.value, arg.orelse.value):
                    yield Call(where, str(branch), False, kwargs, star, source)
            elif isinstance(arg, ast.JoinedStr):
                pattern = "".join(
                    str(v.value) if isinstance(v, ast.Constant) else "{}" for v in arg.values
                )
                yield Call(where, pattern, True, kwargs, star, source)
            else:
                yield Call(where, "", False, kwargs, star, source)


CALLS = list(_t_calls())

WIZARD_STEPS = list(STEPS)

FAMILIES: dict[str, list[str]] = {
    "state.{}": [f"state.{s.value}" for s in OrderState],
    "push.{}": [f"push.{k.value}" for k in NoticeKind],
    "command.{}": [f"command.{name}" for name in basic.COMMANDS],
    "ask.{}": [f"ask.{step}" for step in WIZARD_STEPS],
    "unit.{}": [f"unit.{u}" for u in ("s", "m", "h", "d")],
    "failure.{}": [f"failure.{r.value}" for r in FailureReason],
    "provider.{}": [f"provider.{p.value}" for p in ProviderName],
    **{
        f"action.{{}}.{leaf}": [f"action.{verb}.{leaf}" for verb in ("confirm", "cancel")]
        for leaf in ("done", "already", "not_allowed", "refused", "header")
    },
    "action.{}.many.{}": [
        f"action.{verb}.many.{leaf}"
        for verb in ("confirm", "cancel")
        for leaf in ("done", "already", "not_allowed")
    ],
}


def test_scan_found_the_calls() -> None:
    literal = [c for c in CALLS if c.key and not c.is_pattern]
    patterns = {c.key for c in CALLS if c.is_pattern}
    assert len(literal) > 40
    assert {"state.{}", "push.{}", "command.{}", "ask.{}", "unit.{}", "provider.{}"} <= patterns
    assert "action.{}.done" in patterns
    assert "failure.{}" in patterns  # a provider failure, by its reason
    # Keys held in variables (labels, InputError.key, ...) are covered by
    # test_key_like_literals_exist and the dedicated tests below.
    assert {"label", "error.key"} <= {c.key_source for c in CALLS if not c.key}


def test_every_f_string_key_is_a_known_family() -> None:
    unknown = [f"{c.where}: {c.key}" for c in CALLS if c.is_pattern and c.key not in FAMILIES]
    assert unknown == []


_KEY_SHAPE = re.compile(r"^[a-z_]+(\.[A-Za-z0-9_]+)+$")
_NAMESPACES = {key.split(".")[0] for key in en.MESSAGES}


def _key_like_literals() -> Iterator[tuple[str, str]]:
    """Every string constant outside the catalogs that looks like a catalog key."""
    for path in sorted(BOT_DIR.rglob("*.py")):
        if "i18n" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and _KEY_SHAPE.match(node.value)
                and node.value.split(".")[0] in _NAMESPACES
            ):
                yield f"{path.relative_to(BOT_DIR.parent)}:{node.lineno}", node.value


@pytest.mark.parametrize("lang", LANGS)
def test_key_like_literals_exist(lang: Lang) -> None:
    # Catches keys that reach t() through a variable, e.g. check_request()'s refusals.
    found = list(_key_like_literals())
    assert len(found) > 40
    missing = [f"{where}: {key}" for where, key in found if key not in CATALOGS[lang]]
    assert missing == []


@pytest.mark.parametrize("lang", LANGS)
def test_literal_keys_exist_and_get_their_params(lang: Lang) -> None:
    problems: list[str] = []
    for call in CALLS:
        if not call.key or call.is_pattern:
            continue
        template = CATALOGS[lang].get(call.key)
        if template is None:
            problems.append(f"{call.where}: missing {call.key}")
        elif not call.has_star_kwargs and not _placeholders(template) <= call.kwargs:
            problems.append(f"{call.where}: {call.key} needs {_placeholders(template)}")
    assert problems == []


@pytest.mark.parametrize("lang", LANGS)
def test_family_keys_exist_and_get_their_params(lang: Lang) -> None:
    problems: list[str] = []
    for call in CALLS:
        if not call.is_pattern:
            continue
        for key in FAMILIES.get(call.key, []):
            template = CATALOGS[lang].get(key)
            if template is None:
                problems.append(f"{call.where}: missing {key}")
            # state.unknown is rendered by its own literal call (with raw=...).
            elif key != "state.unknown" and not _placeholders(template) <= call.kwargs:
                problems.append(f"{call.where}: {key} needs {_placeholders(template)}")
    assert problems == []


def test_families_are_complete() -> None:
    for keys in FAMILIES.values():
        assert keys
    assert len(FAMILIES["state.{}"]) == len(OrderState) == 8
    assert "push.not_created" in FAMILIES["push.{}"]
    assert "provider.tronsave" in FAMILIES["provider.{}"]
    assert "provider.feee" in FAMILIES["provider.{}"]


@pytest.mark.parametrize("lang", LANGS)
def test_choice_labels_exist(lang: Lang) -> None:
    choices = keyboards.STEP_CHOICES.values()
    labels = [label for step in choices for _, label in step if label]
    assert labels
    for label in labels:
        assert _placeholders(CATALOGS[lang][label]) <= {"value"}
        assert "65,000" in t(lang, label, value="65,000")


@pytest.mark.parametrize("lang", LANGS)
def test_failure_messages_are_one_per_reason(lang: Lang) -> None:
    # No provider-specific error keys: providers' codes map to reasons instead.
    assert [k for k in CATALOGS[lang] if k.startswith("error.") and k != "error.internal"] == []
    failures = {k for k in CATALOGS[lang] if k.startswith("failure.")}
    assert failures == {f"failure.{r.value}" for r in FailureReason}
    for key in failures:
        assert _placeholders(CATALOGS[lang][key]) <= {"provider", "code", "detail", "field"}


def _input_keys_in_parsing() -> set[str]:
    tree = ast.parse((BOT_DIR / "parsing.py").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "InputError"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def _raised_input_errors() -> list[InputError]:
    cases = [
        (parse_amount, "abc"),
        (parse_amount, "1"),
        (parse_duration, "1w"),
        (parse_duration, "1s"),
        (parse_deadline, "1s"),
        (parse_price, "7.5"),
        (parse_price, "0"),
        (parse_receivers, ""),
        (parse_receivers, "T123 <b>"),
        (parse_receivers, " ".join(f"T{i}" for i in range(3))),
        (parse_payee, " "),
        (parse_payee, "T1 T2"),
        (parse_payee, "T123<b>"),
    ]
    errors: list[InputError] = []
    for parser, text in cases:
        with pytest.raises(InputError) as info:
            parser(text)
        errors.append(info.value)
    # too many: needs valid addresses
    many = " ".join(address_from_bytes(i.to_bytes(20, "big")) for i in range(1, 102))
    with pytest.raises(InputError) as info:
        parse_receivers(many)
    errors.append(info.value)
    return errors


@pytest.mark.parametrize("lang", LANGS)
def test_input_error_keys_exist_and_format(lang: Lang) -> None:
    declared = _input_keys_in_parsing()
    assert len(declared) == 13
    assert all(k.startswith("input.") for k in declared)
    errors = _raised_input_errors()
    assert {e.key for e in errors} == declared
    for error in errors:
        assert _placeholders(CATALOGS[lang][error.key]) <= set(error.params), error.key
        text = t(lang, error.key, **error.params)
        for name in _placeholders(CATALOGS[lang][error.key]):
            shown = str(error.params[name]).replace("<", "&lt;").replace(">", "&gt;")
            assert shown in text, (error.key, name)


def test_receivers_invalid_text_is_escaped() -> None:
    with pytest.raises(InputError) as info:
        parse_receivers("<script>")
    text = t("en", info.value.key, **info.value.params)
    assert "&lt;script&gt;" in text
    assert "<script>" not in text


# -- t() ---------------------------------------------------------------------------------


def test_t_escapes_params() -> None:
    text = t("en", "auth.denied", user_id="<i>1</i> & 2")
    assert "<code>&lt;i&gt;1&lt;/i&gt; &amp; 2</code>" in text


def test_t_keeps_quotes_unescaped() -> None:
    text = t("en", "auth.denied_short", user_id='"quoted"')
    assert '"quoted"' in text


def test_t_does_not_escape_html_params() -> None:
    text = t("en", "auth.denied", user_id=Html("<b>7</b>"))
    assert "<code><b>7</b></code>" in text


def test_t_formats_non_str_values() -> None:
    assert t("en", "unit.m", n=15) == "15 min"
    assert t("zh", "unit.m", n=15) == zh.MESSAGES["unit.m"].format(n=15)


def test_t_missing_param_raises() -> None:
    with pytest.raises(KeyError):
        t("en", "unit.m")


def test_t_unknown_key_raises() -> None:
    with pytest.raises(KeyError):
        t("zh", "no.such.key")


def test_t_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(CATALOGS["zh"], "stray.text")
    assert t("zh", "stray.text") == en.MESSAGES["stray.text"]


def test_t_uses_the_requested_language() -> None:
    assert t("zh", "language.set") == zh.MESSAGES["language.set"]
    assert t("en", "language.set") == en.MESSAGES["language.set"]
    assert zh.MESSAGES["language.set"] != en.MESSAGES["language.set"]


# -- language choice ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "code", "expected"),
    [
        ("zh", "en", "zh"),
        ("en", "zh-hans", "en"),
        ("zh", None, "zh"),
        ("en", None, "en"),
        (None, "zh-hans", "zh"),
        (None, "zh-TW", "zh"),
        (None, "ZH", "zh"),
        (None, "zh", "zh"),
        (None, "en", "en"),
        (None, None, "en"),
        (None, "ru", "en"),
        (None, "", "en"),
        ("fr", "zh-hans", "zh"),  # an unknown stored value is ignored
        ("fr", None, "en"),
        ("", "zh-hk", "zh"),
    ],
)
def test_resolve_lang(stored: str | None, code: str | None, expected: str) -> None:
    assert resolve_lang(stored, code) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("zh", "zh"), ("en", "en"), (None, "en"), ("ru", "en"), ("ZH", "en")]
)
def test_as_lang(value: str | None, expected: str) -> None:
    assert as_lang(value) == expected
