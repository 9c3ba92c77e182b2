package server

import (
	"net/http"
	"strings"
	"time"
)

// Observer is told of every answered request, for metrics: route is the
// route table's path or the mount's key that served it ("other" for unknown
// paths, so that labels stay few), status the response status (101 for a
// WebSocket upgrade, whose duration is the connection's), d the time taken,
// and the request and response body sizes in bytes.
type Observer interface {
	ObserveRequest(route string, status int, d time.Duration, requestBytes, responseBytes int64)
}

// observe reports the request to the Observer, if any.
func (s *server) observe(r *http.Request, rec *recorder, rs *reqState, start time.Time) {
	if s.opts.Observer == nil {
		return
	}
	status := rec.status
	if !rec.wrote {
		status = http.StatusOK
	}
	reqBytes := int64(len(rs.body))
	if reqBytes == 0 && r.ContentLength > 0 {
		reqBytes = r.ContentLength
	}
	s.opts.Observer.ObserveRequest(s.routeName(r.URL.Path), status, time.Since(start), reqBytes, int64(rec.size))
}

// routeName names the route serving path: the mount's key (mounts take
// precedence), the route table's path, or "other".
func (s *server) routeName(path string) string {
	if _, ok := s.opts.Mounts[path]; ok {
		return path
	}
	best := ""
	for prefix := range s.opts.Mounts {
		if strings.HasSuffix(prefix, "/") && strings.HasPrefix(path, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best != "" {
		return best
	}
	if _, ok := s.routes[path]; ok {
		return path
	}
	return "other"
}
