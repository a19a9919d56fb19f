"""Tables of the sftp area (see gateway/store/models/__init__.py)."""
