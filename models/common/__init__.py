"""MLflow plumbing shared by every model family (classifier, forecaster, …).

- :mod:`models.common.tracking` — tracking store / artifact root from ``settings.mlflow``, ``MLFLOW_DFS_TMP``,
  one experiment per (family, target), one registered model per (family, target).
- :mod:`models.common.registry` — new version → ``challenger``; promotion to ``champion`` only when it beats
  the champion on the same evaluation set; a promotion record written to ``ops_model_promotion`` either way.
"""
