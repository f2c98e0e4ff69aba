"""Exploring: generated scenarios, judged by oracles, what breaks one written out."""
