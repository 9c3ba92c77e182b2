package server

import (
	"net/http"
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

// observe reports the request to the Observer, if any, under route: the
// route table's path or the mount's key that served it, or "other".
func (s *server) observe(r *http.Request, rec *recorder, rs *reqState, route string, took time.Duration) {
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
	s.opts.Observer.ObserveRequest(route, status, took, reqBytes, int64(rec.size))
}
