"""政策评估: interrupted-time-series estimate of a policy's effect on the volume of a category.

Entry point for orchestration: :func:`models.policy.its.run`.
"""
