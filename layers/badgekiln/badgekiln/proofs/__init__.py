"""Proof primitives: compact JWS, Data Integrity (EdDSA suites) and DID / key resolution.

``dataintegrity`` imports PyLD (through ``badgekiln.jsonld``); ``jws`` and ``did`` do not.
"""
