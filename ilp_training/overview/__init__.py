"""The overview above the district: national, province, regency, puskesmas and posyandu
counts (``rollups.py``: the counts kept per place and their read API)."""
