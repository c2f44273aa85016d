"""Sweeps: the world over seeds x grid points x sampled assumptions, one Parquet row per run, resumable,
on any `concurrent.futures` executor (the stdlib process pool, or Dask distributed). docs/uncertainty.md."""
