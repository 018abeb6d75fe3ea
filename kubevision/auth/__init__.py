"""Authentication (who is calling: passwords, tokens, 2FA, API keys) and authorization (what they may do).

The two are kept apart as in jupyter_server: `service.AuthService` turns credentials into a `Principal`;
`permissions` answers whether that principal may perform a verb on a resource, cluster and namespace.
"""
