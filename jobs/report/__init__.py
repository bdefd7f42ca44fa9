"""The weekly 每周一议 report: HTML with charts (Chinese fonts), a PNG/PDF rendering, published to S3.

Entry point for orchestration: :func:`jobs.report.weekly.run`.
"""
