package metadata

import (
	"encoding/json"

	"github.com/postgate/postgate/internal/apierr"
)

// dml runs a v1 data operation on a tracked table of s.
func (o *opCtx) dml(kind string, s *Source, raw json.RawMessage) (any, error) {
	return nil, apierr.Newf(apierr.NotSupported, "the %q query type is not supported yet", kind)
}
