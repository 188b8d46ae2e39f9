"""Checks: what may load, and who hears about what did not. Enters: a table's rows as a frame.
Leaves: the valid rows merged and the failing ones quarantined (``load``, over ``validate`` and ``schemas/``),
disagreement findings on figures (``findings``), one post-stage decision for every table — fail the task or not,
alert or not (``policy``, sending through ``alerts``), and the per-run quality summary (``quality``).
"""
