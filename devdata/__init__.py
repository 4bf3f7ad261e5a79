"""Development data, the top layer of docs/architecture.md: the demo (``manage.py seed_demo``) and the
synthetic history for benchmarks (``manage.py synth_data``).

It writes through the apps' services (the demo) or replays their rules (the synthetic history), so it
may import any app; no app imports it (an import-linter contract in ``pyproject.toml``).
"""
