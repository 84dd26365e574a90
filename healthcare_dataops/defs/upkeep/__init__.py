"""Table upkeep: compaction and vacuum of every lakehouse table, on a weekly schedule."""
