"""The customer's pages of service requests: submit one, follow it through the secret link."""
