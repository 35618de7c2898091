"""Local replicas of the public services the pipeline reads, for integration tests."""
