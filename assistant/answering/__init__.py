"""Grounded answers: query → retrieval → context → generation → citations → verification.

The stages shared with briefing and drafting are :mod:`assistant.grounding` (its
:mod:`~assistant.grounding.stages` holds the data types); answering adds query planning,
the answer checks (attribution, responsiveness, ``answer_status``) and the conversation
history.  :class:`~assistant.answering.pipeline.AskEngine` runs the stages in order and saves
every stage's output so that evaluations can replay any of them.
"""
