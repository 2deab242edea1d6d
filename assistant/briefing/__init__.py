"""The morning briefing: selection, stories, salience, summaries, rendering, delivery."""
