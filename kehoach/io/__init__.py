"""What every layer stands on: the errors operators see, reading input, writing files."""
