"""JSON-LD for Data Integrity proofs: bundled contexts, a strict loader and expansion, RDFC-1.0.

``loader`` is light; ``strict`` and ``canon`` import PyLD, so import them only on the paths
that process JSON-LD.
"""
