"""Bounded-time fuzzing of the cookie decoder and both middlewares."""
