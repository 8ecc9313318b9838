"""Helpers of the benchmarks: generated plants and raw reads (not benchmarks themselves)."""
