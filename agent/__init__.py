"""`sohoa-agent`: the small program on an official's PC that signs digests with the USB token.

It listens on 127.0.0.1 only, answers one sohoa site (the one it was paired with), asks for the
token's PIN in its own prompt once per batch, and signs the digests it is given: nothing else.
It imports nothing of sohoa but `signing.remote`, the digest types of its wire protocol.
"""
