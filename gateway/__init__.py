"""Health fund provider data-exchange gateway.

Two flows: ``exchange`` (request files deposited over SFTP, checked, answered, forwarded)
and ``intake`` (provider-code applications with checked documents). See docs/architecture.md.
"""

__version__ = "0.1.0"

import os as _os

# The gateway uses no pydantic plugin. Without this, the first settings model reads the entry
# points of every installed distribution to look for plugins, a tenth of the start of a short
# command such as ``gateway validate``. An operator who sets the variable keeps their value.
_os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
