"""Helpers the tests share: plain functions, constants and types (fixtures stay in the conftest files)."""
