"""Fixture generators: regenerate tests/fixtures/ from the real peers."""
