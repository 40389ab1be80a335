"""The cascade: a parent plan becomes the draft of every unit below its issuer."""
