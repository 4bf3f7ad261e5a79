"""The metric families; ``kpi.registry`` puts them in one ordered registry."""
