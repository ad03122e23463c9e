"""pyspf (Debian python3-spf) on the test zones: check2() for each case.

Reads {"server": "127.0.0.1", "port": N, "cases": [{"id", "ip", "sender", "helo"}]}
on stdin and prints {"<id>": {"result": ..., "explanation": ...}} on stdout.
pyspf looks names up through dnspython's default resolver, pointed here at
the test's NSD (any port: dnspython's Resolver has a port attribute).
"""
import json
import sys

import dns.resolver
from nsd_resolver import resolver_for
import spf

request = json.load(sys.stdin)
resolver = resolver_for(request)
dns.resolver.default_resolver = resolver
if spf.DNSLookup is not spf.DNSLookup_dnspython:
    sys.exit("pyspf is not using dnspython: it cannot be pointed at the test server's port")

out = {}
for case in request["cases"]:
    result, explanation = spf.check2(i=case["ip"], s=case["sender"], h=case["helo"], querytime=10)
    out[case["id"]] = {"result": result, "explanation": explanation}
json.dump(out, sys.stdout)
