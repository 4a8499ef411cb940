"""Stored plans: SQLAlchemy models, migrations and the repository (design.md §6.2)."""
