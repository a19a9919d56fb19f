"""Health fund provider data-exchange gateway.

Two flows: ``exchange`` (request files deposited over SFTP, checked, answered, forwarded)
and ``intake`` (provider-code applications with checked documents). See docs/architecture.md.
"""

__version__ = "0.1.0"
