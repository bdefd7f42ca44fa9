"""The synthetic city: a Spark generator of realistic 12345 deliveries with ground truth (issue 3)."""
