"""The application form's problems, placed next to the fields they are about.

The checks are the intake report's own (:func:`gateway.intake.validation.data_checks`); this
module only says which input each failed check marks ``aria-invalid`` and which message, in
the page's language, its ``aria-describedby`` points to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gateway.intake.validation import CHECK_FIELDS, ApplicationData, DataCheck


@dataclass(frozen=True)
class FormErrors:
    """``messages``: check name -> message; ``invalid``: input name -> the check that marks it."""

    messages: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.messages)


def form_errors(checks: Iterable[DataCheck], typed: ApplicationData, lang: str) -> FormErrors:
    """The failed ``checks`` placed on the inputs of ``typed``.

    A check of several inputs (street and locality, the manager's two names) marks the empty
    ones; its message is shown once, after the last of them.
    """
    values = typed.as_dict()
    messages: dict[str, str] = {}
    invalid: dict[str, str] = {}
    for check in checks:
        if check.ok:
            continue
        messages[check.field] = check.message_fr if lang == "fr" else check.message_en
        inputs = CHECK_FIELDS[check.field]
        empty = [name for name in inputs if not values[name].strip()]
        for name in empty or inputs:
            invalid[name] = check.field
    return FormErrors(messages, invalid)


def typed_data(form: Mapping[str, object]) -> ApplicationData:
    """The values as typed (not normalised), to show them back in a refused form."""
    names = ApplicationData.__dataclass_fields__
    return ApplicationData(**{name: str(form.get(name, "")) for name in names})
