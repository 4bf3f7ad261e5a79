"""REST API of the tickets app: staff endpoints (``views``) and the customer's public ones (``public``)."""
