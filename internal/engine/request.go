package engine

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
)

// request is one GraphQL request body.
type request struct {
	Query         string                     `json:"query"`
	Variables     map[string]json.RawMessage `json:"variables"`
	OperationName string                     `json:"operationName"`
}

// decodeRequests reads a body holding one request or a batch (JSON array).
func decodeRequests(body []byte, maxBatch int) (reqs []request, batch bool, err error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, true, invalidJSON(err)
		}
		if len(raws) > maxBatch {
			return nil, true, apierr.Newf(apierr.BadRequest, "too many operations in one batch (at most %d)", maxBatch)
		}
		reqs = make([]request, len(raws))
		for i, r := range raws {
			if err := decodeRequest(r, &reqs[i]); err != nil {
				return nil, true, err
			}
		}
		return reqs, true, nil
	}
	var r request
	if err := decodeRequest(body, &r); err != nil {
		return nil, false, err
	}
	return []request{r}, false, nil
}

func decodeRequest(b []byte, r *request) error {
	var raw struct {
		Query         *string         `json:"query"`
		Variables     json.RawMessage `json:"variables"`
		OperationName *string         `json:"operationName"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return invalidJSON(err)
	}
	if raw.Query == nil {
		return apierr.New(apierr.ParseFailed, `key "query" not found`)
	}
	r.Query = *raw.Query
	if raw.OperationName != nil {
		r.OperationName = *raw.OperationName
	}
	if v := bytes.TrimSpace(raw.Variables); len(v) > 0 && !bytes.Equal(v, []byte("null")) {
		if err := json.Unmarshal(v, &r.Variables); err != nil {
			return apierr.New(apierr.ParseFailed, "variables must be an object").WithPath("$.variables")
		}
	}
	return nil
}

// invalidJSON reports a request body that does not decode: a value of the
// wrong type as Hasura's parser words it, anything else as invalid JSON,
// never with the decoder's own text.
func invalidJSON(err error) error {
	if e := apierr.JSONTypeError(err, "$"); e != nil {
		if strings.HasPrefix(e.Message, "expected String,") {
			e.Message = "parsing Text failed, " + e.Message
		}
		return e
	}
	return apierr.New(apierr.InvalidJSON, "Error in $: Failed reading: not a valid json value").WithStatus(http.StatusBadRequest).Wrap(err)
}

// decodeVars decodes raw variable values for binding and coercion
// (numbers as json.Number).
func decodeVars(raw map[string]json.RawMessage) (map[string]any, error) {
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			return nil, apierr.New(apierr.ParseFailed, "invalid variable value").WithPath("$.variableValues." + k)
		}
		out[k] = x
	}
	return out, nil
}
