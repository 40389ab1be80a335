"""Execution status: reports in, the store, the roll-up upward, reminders and the BÁO CÁO."""
