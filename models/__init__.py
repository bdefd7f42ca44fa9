"""ML code of minsheng: classifiers, forecasters and their MLflow plumbing (``models.common``)."""
