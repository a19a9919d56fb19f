"""Tables of the web area (see gateway/store/models/__init__.py)."""
