"""The warranty REST API: staff endpoints under ``/api/v1/warranty/``, the public check in ``public.py``."""
