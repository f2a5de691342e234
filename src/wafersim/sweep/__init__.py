"""Design-space sweeps: a YAML spec of points, evaluated on an executor into a Parquet store
that resumes after any interruption, queried with DuckDB and reduced to Pareto fronts."""
