"""Questions asked of history: lineage, history, metrics diff, why."""
