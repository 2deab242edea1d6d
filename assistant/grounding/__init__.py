"""Shared by answering, briefing and drafting: the numbered passages, context selection,
generation with citations, the injection filter, verification and run records.
"""
