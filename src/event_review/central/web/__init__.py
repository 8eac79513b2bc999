"""The reviewer and admin web client: static files, served by the `web` and `all` targets.

Plain HTML, CSS and ES modules (no build step) that talk only to the public
/api/v1 endpoints, like any other client.
"""
