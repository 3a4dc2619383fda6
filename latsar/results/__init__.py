"""Results: chosen letters + gradebook points → score tables (:mod:`.scores`), written as CSV and
Parquet by ``latsar export`` (:mod:`.export`)."""
