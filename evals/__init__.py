"""Evals: the factuality harness and its datasets."""
