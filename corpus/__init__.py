"""Corpus: sources → normalised, deduplicated documents (ETL)."""
