"""Simulated pilot factories with exact ground truth: run them instead of real machines."""
