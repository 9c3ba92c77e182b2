package idp

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads POSTGATE_AUTH_TRUSTED_PROXIES: CIDR ranges or
// single addresses, separated by commas or spaces.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if pfx, err := netip.ParsePrefix(f); err == nil {
			out = append(out, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%w: POSTGATE_AUTH_TRUSTED_PROXIES: %q is neither a CIDR range nor an IP address", ErrConfig, f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

type ctxClientIPKey struct{}

// withClientIP resolves the client's address once per request (see
// ClientIP) for the handlers below it.
func (p *IdP) withClientIP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxClientIPKey{}, p.ClientIP(r))))
	})
}

// clientIP is the client address that withClientIP resolved, or the peer
// address for a request that did not pass through it.
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(ctxClientIPKey{}).(string); ok && ip != "" {
		return ip
	}
	return peerIP(r)
}

// peerIP is the address of the connection's other end.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ClientIP is the address per-IP throttling and Actions' event.request.ip
// use: the connection's peer, unless the peer is one of the trusted proxies
// (POSTGATE_AUTH_TRUSTED_PROXIES), in which case X-Forwarded-For is read
// from the right, skipping trusted proxies, and the first other address is
// the client. Without trusted proxies X-Forwarded-For is ignored, so a
// client cannot pick the address it is throttled under.
func (p *IdP) ClientIP(r *http.Request) string {
	peer := peerIP(r)
	addr, err := netip.ParseAddr(peer)
	if err != nil || !p.trustedProxy(addr) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, h := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	client := addr
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // a malformed entry: trust nothing to its left
		}
		client = a
		if !p.trustedProxy(a) {
			break
		}
	}
	return client.String()
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port ("1.2.3.4:5678", "[2001:db8::1]:443").
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func (p *IdP) trustedProxy(a netip.Addr) bool {
	a = a.Unmap()
	for _, pfx := range p.cfg.TrustedProxies {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}
