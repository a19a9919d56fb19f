"""Tables of the intake area (see gateway/store/models/__init__.py)."""
