"""Monitoring foreign publics: sentiment toward countries, time series, early warning,
coordinated amplification and forecasts."""
