"""The warehouse's views: the downstream contract (SPEC.md), the register and the roll-ups.

Each view is declared once in SQLAlchemy Core with its grain (`view.View`), in two layers:
base views over the tables (`current`, `calendar`) and roll-ups over the base views
(`rollups`, `submission_tracker`), and `lineage`, every figure with the cell it came from;
`catalogue.ALL_VIEWS` lists them all. Views are not part
of the migration history: `refresh` recreates them whenever their definitions change.
Columns may be added to a view, never renamed or dropped.
"""
