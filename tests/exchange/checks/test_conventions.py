"""The conventions registry is the only place that names a convention.

A literal that is a convention's word (``"KINE"``), a literal that lists every convention
(``"LAB, KINE or DIET"``, ``"(LAB|KINE|DIET)"``) or a ``Convention.KINE`` member anywhere else
in gateway/ is knowledge restated: it goes stale when a convention is added. Docstrings and
comments may give examples; a convention's own rules declare it (``@record_rule(Convention.LAB)``);
everything else asks the registry.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from gateway.exchange.checks.rules.stage4 import RECORD_RULES, rules_for
from gateway.exchange.checks.stages.schema import REPEATED
from gateway.exchange.conventions import CODES, CONVENTIONS, REQUEST_NAME, Convention, listing

GATEWAY = Path(__file__).resolve().parents[3] / "gateway"
REGISTRY = GATEWAY / "exchange" / "conventions.py"
_WORD = {code: re.compile(rf"(?<![\w-]){re.escape(code)}(?![\w-])") for code in CODES}


def _restates(text: str) -> bool:
    """True for a convention's word alone, or a text naming every convention."""
    return text.strip() in CODES or all(pattern.search(text) for pattern in _WORD.values())


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _declarations(tree: ast.AST) -> set[int]:
    """The members named in ``@record_rule(Convention.LAB)``: a rule declaring where it applies."""
    return {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "record_rule"
        for arg in node.args
    }


def _shown(path: Path) -> str:
    return str(path.relative_to(GATEWAY.parent)) if path.is_relative_to(GATEWAY.parent) else path.name


def python_offences(path: Path) -> list[str]:
    """Every restated convention in one module, as ``path:line: what``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped = _docstrings(tree) | _declarations(tree)
    offences = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            if _restates(node.value):
                offences.append(f"{_shown(path)}:{node.lineno}: literal {node.value!r}")
        elif (
            isinstance(node, ast.Attribute)
            and id(node) not in skipped
            and isinstance(node.value, ast.Name)
            and node.value.id == "Convention"
            and node.attr in CODES
        ):
            offences.append(f"{_shown(path)}:{node.lineno}: Convention.{node.attr}")
    return offences


def template_offences(path: Path) -> list[str]:
    """Quoted convention words or full lists in a template or text file."""
    text = path.read_text(encoding="utf-8")
    offences = []
    for number, line in enumerate(text.splitlines(), start=1):
        quoted = any(re.search(rf"[\"']{re.escape(code)}[\"']", line) for code in CODES)
        if quoted or all(pattern.search(line) for pattern in _WORD.values()):
            offences.append(f"{_shown(path)}:{number}: {line.strip()}")
    return offences


def test_no_convention_is_named_outside_the_registry() -> None:
    offences = [
        offence for path in sorted(GATEWAY.rglob("*.py")) if path != REGISTRY for offence in python_offences(path)
    ]
    offences += [offence for path in sorted(GATEWAY.rglob("*.html")) for offence in template_offences(path)]
    assert offences == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('if convention == "LAB":\n    pass\n', id="comparison"),
        pytest.param('DAYS = {"KINE": 60}\n', id="dict-key"),
        pytest.param('NAME = r"^(LAB|KINE|DIET)_FACT"\n', id="alternation"),
        pytest.param('HELP = "LAB, KINE or DIET."\n', id="help-text"),
        pytest.param("x = Convention.DIET\n", id="enum-member"),
    ],
)
def test_the_scan_finds_a_restated_convention(tmp_path: Path, source: str) -> None:
    module = tmp_path / "probe.py"
    module.write_text(source, encoding="utf-8")
    assert len(python_offences(module)) == 1


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('"""A LAB record\'s sampling dates its acts."""\n', id="docstring"),
        pytest.param('CODE = "LAB-001"\n', id="finding-code"),
        pytest.param('PLACE = "LABO"\n', id="longer-word"),
        pytest.param('KEY = "record.KINE.45001237"\n', id="one-example"),
    ],
)
def test_the_scan_lets_examples_be(tmp_path: Path, source: str) -> None:
    module = tmp_path / "probe.py"
    module.write_text(source, encoding="utf-8")
    assert python_offences(module) == []


def test_what_is_derived_from_the_registry() -> None:
    assert REQUEST_NAME.pattern.startswith("^(" + "|".join(CODES) + ")_FACT_")
    assert {"Enregistrement"} | {spec.act_element for spec in CONVENTIONS.values()} == REPEATED
    assert listing() == ", ".join(CODES[:-1]) + " or " + CODES[-1]
    assert len({spec.namespace for spec in CONVENTIONS.values()}) == len(CONVENTIONS)
    assert len({spec.prefix for spec in CONVENTIONS.values()}) == len(CONVENTIONS)


def test_convention_rules_run_only_on_the_conventions_they_declare() -> None:
    general = [rule for rule in RECORD_RULES if rule.conventions is None]
    for convention in Convention:
        specific = [rule for rule in rules_for(convention) if rule.conventions is not None]
        assert [rule for rule in rules_for(convention) if rule.conventions is None] == general
        assert len(specific) == 1 and convention in specific[0].conventions


@pytest.mark.parametrize(
    "literal",
    [
        pytest.param("urn:cns:echange:reponse:1", id="response-namespace"),
        pytest.param("_REP.xml", id="response-suffix"),
        pytest.param(".part", id="part-suffix"),
        pytest.param(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$", id="upload-name"),
    ],
)
def test_names_shared_by_the_server_and_the_client_are_defined_once(literal: str) -> None:
    found = []
    for path in sorted(GATEWAY.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        skipped = _docstrings(tree)
        found += [
            f"{_shown(path)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value == literal and id(node) not in skipped
        ]
    assert len(found) == 1, found
