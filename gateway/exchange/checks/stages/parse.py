"""Stage 1: well-formed UTF-8 XML, no DTD or entities, within the parser's limits (XML-00x).

The pass itself (pipeline.py) is what parses; this stage checks the prolog before it starts
and reports what the pass ran into.
"""

from __future__ import annotations

from gateway.exchange.checks.diagnostics import explained
from gateway.exchange.checks.messages import finding
from gateway.exchange.checks.stages.base import Context, StageBase
from gateway.exchange.checks.xmlsafe import prolog_problem


class ParseXml(StageBase):
    """Stage 1: XML-001 (not UTF-8, not well-formed), XML-002 (DTD), XML-003 (limits)."""

    number = 1

    def begin(self, context: Context) -> None:
        with context.received.path.open("rb") as handle:
            problem = prolog_problem(handle)
        if problem is not None:
            context.xml_problem = problem
            self.end(context)

    def end(self, context: Context) -> None:
        problem = context.xml_problem
        if problem is not None and not context.fatal(1):
            context.valid = False
            context.add(
                1,
                finding(
                    problem.code, line=problem.line, column=problem.column, **explained(problem.code, problem.detail)
                ),
            )
