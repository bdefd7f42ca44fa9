"""Early warning (未诉先办): anomalous rises, new issues and slow-building trends.

Entry point for orchestration: :func:`models.warning.job.run`.
"""
