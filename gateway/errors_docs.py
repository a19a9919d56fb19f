"""Renders docs/errors.md from the catalogues, so the list of codes cannot drift.

Run ``python -m gateway.errors_docs --write`` after adding a code; a test fails while the
file differs from what this module renders.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

from gateway.errors import GatewayError

ROOT = Path(__file__).resolve().parent.parent


def _error_classes() -> list[type[GatewayError]]:
    # Every module is imported, so the list does not depend on what happened to be loaded.
    import gateway

    for module in pkgutil.walk_packages(gateway.__path__, "gateway."):
        if module.name != "gateway.__main__" and not module.name.startswith("gateway.store.migrations"):
            importlib.import_module(module.name)

    found, todo = [], [GatewayError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: (c.code, c.__name__))


def _message_text(node: ast.expr | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        # the constant parts of an f-string are always strings
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{…}" for v in node.values)
    return ""


def _codes_set_where_raised() -> dict[str, tuple[str, str]]:
    """``code="..."`` given when an error is raised: code -> (modules, first message pattern)."""
    found: dict[str, tuple[str, str]] = {}
    package = ROOT / "gateway"
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if (
                    keyword.arg == "code"
                    and isinstance(keyword.value, ast.Constant)
                    and isinstance(keyword.value.value, str)
                    and "-" in keyword.value.value
                ):
                    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                    code = keyword.value.value
                    message = _message_text(node.args[0] if node.args else None)
                    modules, first = found.get(code, ("", message))
                    if module not in modules.split(", "):
                        modules = f"{modules}, {module}" if modules else module
                    found[code] = (modules, first or message)
    return dict(sorted(found.items()))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown() -> str:
    """docs/errors.md: findings in responses, document reasons, and operational errors."""
    from gateway.exchange.checks.messages import CATALOGUE
    from gateway.intake.documents.messages import FLAGS, REASONS

    out = [
        "# Error codes",
        "",
        "Every refusal the gateway makes carries a stable code. This page is generated from the",
        "code (`python -m gateway.errors_docs --write`), so it lists exactly what the gateway uses.",
        "",
        "## Findings in response files (spec/exchange.md section 4)",
        "",
        "Reported in `Erreur` elements of responses, with line, path and value where they exist,",
        "and a French and an English message. Placeholders in braces are filled per finding.",
        "See [exchange.md](exchange.md) for where each one points and the decisions behind them.",
        "",
        "| code | stage | severity | message (en) |",
        "| --- | --- | --- | --- |",
    ]
    for code, entry in CATALOGUE.items():
        out.append(f"| `{code}` | {entry.stage} | {entry.severity} | {_cell(entry.templates(code)[1])} |")
    out += [
        "",
        "## Document verdicts (spec/intake.md section 2)",
        "",
        "A refused document has one reason; any document may carry flags. The applicant reads the",
        "message (French and English). See [intake.md](intake.md).",
        "",
        "| code | kind | message (en) |",
        "| --- | --- | --- |",
    ]
    for reason, message in REASONS.items():
        out.append(f"| `{reason}` | refused | {_cell(message.en)} |")
    for flag, message in FLAGS.items():
        out.append(f"| `{flag}` | flag | {_cell(message.en)} |")
    out += [
        "",
        "## Errors of commands, the SFTP server, the client and the services",
        "",
        "Printed as `error CODE: message` by commands (with the exit status of its column), logged",
        "with the code by the servers, and answered with the HTTP status or SFTP status of its",
        "column at those edges: each error class carries the three. A code shared by several",
        "classes is set per error where it is raised.",
        "",
        "| code | error | meaning | exit status | HTTP | SFTP |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for cls in _error_classes():
        doc = (inspect.getdoc(cls) or "").split("\n")[0]
        out.append(
            f"| `{cls.code}` | `{cls.__module__}.{cls.__name__}` | {_cell(doc)} | {cls.exit_status} "
            f"| {cls.http_status} | `SSH_FX_{cls.sftp_status.name}` |"
        )
    out += [
        "",
        "### Codes given where the error is raised",
        "",
        "These refine the class's code for one situation; the message shown is the pattern the",
        "gateway prints, with `{…}` for the values of the case.",
        "",
        "| code | raised in | message |",
        "| --- | --- | --- |",
    ]
    known = {cls.code for cls in _error_classes()}
    for code, (module, pattern) in _codes_set_where_raised().items():
        if code not in known:
            out.append(f"| `{code}` | {', '.join(f'`{m}`' for m in module.split(', '))} | {_cell(pattern)} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write docs/errors.md")
    args = parser.parse_args()
    if args.write:
        (ROOT / "docs" / "errors.md").write_text(render_markdown())
    else:
        print(render_markdown())


if __name__ == "__main__":
    main()
