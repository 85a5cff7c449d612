"""``badgekiln serve``'s local server: template.yaml's HTTP API on a laptop, for development only.

Not part of the Lambda layer (it is not under ``layers/badgekiln``): install it with
``pip install 'badgekiln[server]'`` (the extra brings PyYAML for the template). :mod:`.gateway`
stands in for API Gateway (routes, payload-2.0 events, CORS, Lambda authorizers) with no sockets;
:mod:`.serve` is the threaded HTTP server in front of it.
"""
