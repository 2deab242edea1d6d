"""Grounded answers: query → retrieval → context → generation → citations → verification.

Each stage is a function with explicit inputs and outputs (:mod:`.stages` holds the data
types); :class:`~assistant.answering.pipeline.AskEngine` runs them in order and saves
every stage's output so that evaluations can replay any of them.
"""
