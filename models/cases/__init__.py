"""类案治理: near-duplicates (并单 suggestions) and clusters of similar cases (类案).

Entry point for orchestration: :func:`models.cases.job.run`.
"""
