"""Settings package: ``base`` holds everything; ``dev``, ``test`` and ``prod`` adjust it.

Every value that differs between installations is read from the environment (django-environ),
so one build runs everywhere. ``DJANGO_SETTINGS_MODULE`` picks the flavour; ``manage.py`` and
``celery`` default to ``aftersales.settings.dev``.
"""
