"""Where the pages' texts were kept before the gettext catalogues (:mod:`gateway.texts`).

The pages' texts are now in ``gateway/texts/locale/<lang>/LC_MESSAGES/gateway.po`` under the
same keys (``files.status``). :data:`MESSAGES` stays, empty, so that code written against it
keeps working: an entry added here (key -> (fr, en)) is shown by :func:`gateway.web.i18n.translate`
until ``scripts/texts update`` moves it into the ``.po`` files; ``scripts/texts check`` (and
the tests) fail while an entry is left here.
"""

MESSAGES: dict[str, tuple[str, str]] = {}
