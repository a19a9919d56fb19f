"""The SSH/SFTP server providers connect to (spec/exchange.md section 1).

A connection is admitted (:mod:`.limits`), authenticated against the database (:mod:`.auth`),
and gets one SFTP subsystem (:mod:`.protocol`) whose every path goes through the provider's
jail (:mod:`.jail`) and whose operations are decided in :mod:`.area`. Uploads are written
under a temp name (:mod:`.handles`) and become received files in :mod:`.receipt`, registered
in group commits (:mod:`.registrar`). :mod:`.server` runs it in one process and
:mod:`.service` in as many as asked. docs/sftp.md describes the behaviour and its decisions.
"""
