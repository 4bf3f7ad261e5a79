"""The portal shell: the customer's home page, ``/track/<token>/`` and the public tracking API.

It serves every registered kind of case (``aftersales.core.cases.register_case``) through the
kind's trackable (``aftersales.core.trackables``) and never asks which kind it serves: each kind plugs
in its intake page (``CaseSpec.portal_urls``), its home-page card, its progress steps, its forms and
its page fragments (``aftersales/core/portal/tracking.py``). This is the top layer: it may import any
app, nothing imports it.
"""
