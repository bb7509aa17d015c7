"""Background work: the same jobs run in-process or on Celery workers."""
