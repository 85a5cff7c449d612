"""Signing keys: the :class:`Signer` interface, local and AWS KMS signers, key formats."""
