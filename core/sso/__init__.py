"""Single sign-on through the region's Keycloak realm: browser login (authorization code flow
with PKCE), bearer tokens for the API, back-channel logout, linking accounts to people."""
