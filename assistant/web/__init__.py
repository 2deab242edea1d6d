"""The analysts' web app and JSON API (FastAPI + Jinja2)."""
