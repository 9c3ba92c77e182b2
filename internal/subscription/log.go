package subscription

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/logging"
)

// newConnID returns a random id in UUID form, as Hasura names connections.
func newConnID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// wsEvent is the "event" of a websocket-log line.
type wsEvent struct {
	Type   string    `json:"type"`
	Detail *wsOpInfo `json:"detail,omitempty"`
}

// wsOpInfo describes an operation event.
type wsOpInfo struct {
	OperationID   string   `json:"operation_id"`
	OperationName *string  `json:"operation_name"`
	OperationType wsOpType `json:"operation_type"`
}

// wsOpType is what happened to the operation, with an error's details.
type wsOpType struct {
	Type   string `json:"type"`
	Detail any    `json:"detail,omitempty"`
}

// wsLog is a websocket-log line's detail, shaped like Hasura's.
type wsLog struct {
	ConnectionInfo wsConnInfo        `json:"connection_info"`
	UserVars       map[string]string `json:"user_vars"`
	Event          wsEvent           `json:"event"`
}

type wsConnInfo struct {
	WebsocketID string  `json:"websocket_id"`
	JWTExpiry   *string `json:"jwt_expiry"`
	Msg         *string `json:"msg"`
}

// logEvent writes a websocket-log line about c.
func (c *conn) logEvent(level slog.Level, ev wsEvent, msg string) {
	info := wsConnInfo{WebsocketID: c.id}
	if !c.sess.Expires.IsZero() {
		s := c.sess.Expires.UTC().Format(time.RFC3339)
		info.JWTExpiry = &s
	}
	if msg != "" {
		info.Msg = &msg
	}
	c.h.o.Logger.LogAttrs(context.Background(), level, "", slog.String(logging.KeyType, "websocket-log"),
		slog.Any(logging.KeyDetail, wsLog{ConnectionInfo: info, UserVars: c.sess.Vars, Event: ev}))
}

// logOp writes a websocket-log line about operation id.
func (c *conn) logOp(id, name, what string, err error) {
	op := &wsOpInfo{OperationID: id, OperationType: wsOpType{Type: what}}
	if name != "" {
		op.OperationName = &name
	}
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
		op.OperationType.Detail = apierr.GraphQLError(apierr.From(err), apierr.Options{DevMode: c.h.o.DevMode})
	}
	c.logEvent(level, wsEvent{Type: "operation", Detail: op}, "")
}
