"""Benchmarks (not tests): zabra or zabra-node beside the real peer, in one run."""
