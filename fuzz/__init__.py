"""Coverage-guided fuzzing of badgekiln's public entry points (atheris + libFuzzer).

Each harness (:mod:`fuzz.harnesses`) turns one input into calls of the library's public recipes
(``badgekiln.extract``/``bake``/``verify``, ``proofs.jws``, the status checkers, the batch row
reader, the render module, the Lambda handlers) and the oracle (:mod:`fuzz.oracle`) judges the
outcome: a :class:`~badgekiln.errors.BadgeKilnError` is the expected answer to bad input, any other
exception is a crash, more than two CPU seconds is a hang. ``python -m fuzz.run NAME`` runs one
harness under libFuzzer; ``python -m fuzz.campaign`` runs all of them (``make fuzz-smoke``,
``make fuzz-long``) and :mod:`fuzz.report` writes the figures into docs/reliability.md.
"""
