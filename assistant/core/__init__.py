"""The bottom layer: errors, settings, clearance, token counting, secret masking and
memory release. Imports nothing else of the project."""
