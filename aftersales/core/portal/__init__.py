"""What every kind's customer-facing pages and public endpoints are built from.

The portal shell (``aftersales.portal``, the top layer) owns ``/``, ``/track/<token>/`` and the public
tracking API and serves every registered kind of case. The apps below it build their own intake
pages (``/request/``, ``/complaint/``) and public endpoints from these pieces, which therefore live
in core, where every app may import them:

- ``views``: the DRF ``PublicView`` base and ``private`` (the headers of a page behind a secret link);
- ``ratelimit``: the fixed-window limit of public forms;
- ``fields``: the upload fields (forms and serializers) and the staff API's ``CustomerRefField``.
"""
