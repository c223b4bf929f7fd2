"""The region's realm in the identity provider (Keycloak): realm, client, roles, school groups
and accounts. ``keycloak.py`` speaks to Keycloak; ``services.py`` is what the platform calls."""
