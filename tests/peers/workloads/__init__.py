"""Client workloads used by more than one peer test, maker or benchmark."""
