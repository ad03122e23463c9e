"""dkimpy (Debian python3-dkim) loading DKIM keys from the test zones.

Reads {"server": "127.0.0.1", "port": N, "names": [...]} on stdin and prints
{"<name>": {"usable": bool, "keysize": int|null, "ktag": str|null, "error": str|null}}.
"usable" is what dkimpy's verifier would accept for an email signature: the key
loads (dkim.load_pk_from_dns) and an RSA key has at least dkimpy's default
minkey of 1024 bits. DNS goes through dnspython pointed at the test's NSD.
"""
import json
import sys

import dkim
import dns.resolver
from nsd_resolver import resolver_for

request = json.load(sys.stdin)
resolver = resolver_for(request)


def get_txt(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode("ascii")
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    for rdata in answer:
        return b"".join(rdata.strings)
    return None


out = {}
for name in request["names"]:
    try:
        pk, keysize, ktag, _tlsrpt = dkim.load_pk_from_dns(name.encode("ascii"), dnsfunc=get_txt)
        usable = pk is not None and (ktag == b"ed25519" or (keysize or 0) >= 1024)
        out[name] = {"usable": usable, "keysize": keysize, "ktag": ktag.decode() if ktag else None, "error": None}
    except Exception as e:  # dkimpy's KeyFormatError and friends: the key is unusable
        out[name] = {"usable": False, "keysize": None, "ktag": None, "error": "%s: %s" % (type(e).__name__, e)}
json.dump(out, sys.stdout)
