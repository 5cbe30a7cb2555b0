"""Benchmarks for the Anima services: ``python -m bench`` (``make bench``). Not part of ``make test``.

See bench/README.md for what each one measures, the targets and the latest figures.
"""
