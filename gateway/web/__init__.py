"""Staff interface, applicant pages and REST API (FastAPI, server-rendered Jinja2)."""
