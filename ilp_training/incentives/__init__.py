"""Cadre welfare: incentive schemes, activity, village summaries (blueprint in routes.py)."""
