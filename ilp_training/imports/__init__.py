"""Importing a district's lists from Excel (posyandu, cadres, paper-era results) and
exporting them again: templates, row-by-row check, preview, apply once (docs/imports.md)."""
