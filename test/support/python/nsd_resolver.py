"""A dnspython resolver pointed at the test's NSD (any port: dnspython's Resolver has a port attribute)."""
import dns.resolver


def resolver_for(request):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [request["server"]]
    resolver.port = int(request["port"])
    resolver.timeout = 1.0
    resolver.lifetime = 2.0
    return resolver
