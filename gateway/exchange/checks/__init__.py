"""The checks of a request file, pure: stages, record rules, references, responses (spec/exchange.md).

Nothing here touches the database, the file system beyond the file under check, or the clock
beyond the moment it is given: the same bytes, history and moment give the same response.
:mod:`gateway.exchange.runtime` runs them for files received over SFTP, ``gateway validate``
runs them for files on disk.
"""
