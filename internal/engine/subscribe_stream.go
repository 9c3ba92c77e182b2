package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/schema"
	"github.com/postgate/postgate/internal/sqlgen"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// A streaming subscription (<table>_stream) is served as a live query of
// the table's select field that reads the rows after a cursor:
//
//	item_stream(batch_size: 10, cursor: {initial_value: {id: 5}}, where: W) { name }
//
// runs as
//
//	item(where: {_and: [W, {id: {_gt: $postgate_cursor}}]}, order_by: {id: asc}, limit: 10) { postgate_cursor: id name }
//
// with the cursor a variable of each subscriber, moved past the last row
// of every batch sent (Live.Advance). The cursor column is selected under
// its own alias and removed from the rows the client gets. Subscribers of
// the same stream share a cohort like any live query.
const streamCursor = "postgate_cursor"

// stream is a streaming subscriber's cursor state.
type stream struct {
	// alias is the response key of the root field.
	alias string
	// vars are the subscriber's decoded variables, the cursor included.
	vars map[string]any
	sess map[string]string
}

// streamRequest rewrites a streaming subscription into the live query that
// serves it; ok is false when op is not a streaming subscription.
func streamRequest(sc *schema.Schema, op *ast.OperationDefinition, r *request, vars map[string]any) (nr *request, alias string, ok bool, err error) {
	if len(op.SelectionSet) != 1 {
		return nil, "", false, nil
	}
	f, isField := op.SelectionSet[0].(*ast.Field)
	if !isField {
		return nil, "", false, nil
	}
	rf := sc.Subscription[f.Name]
	if rf == nil || rf.Kind != schema.RootSelectStream {
		return nil, "", false, nil
	}
	path := "$.selectionSet." + f.Alias
	selectName := ""
	for name, o := range sc.Subscription {
		if o.Kind == schema.RootSelect && o.Table == rf.Table {
			selectName = name
			break
		}
	}
	if selectName == "" {
		return nil, "", true, apierr.New(apierr.NotSupported, fmt.Sprintf("streaming from %q needs the role's select field in subscription_root", f.Name)).WithPath(path)
	}
	batch := f.Arguments.ForName("batch_size")
	cur := f.Arguments.ForName("cursor")
	if batch == nil || cur == nil {
		return nil, "", true, apierr.New(apierr.ValidationFailed, "batch_size and cursor are required").WithPath(path)
	}
	cv, err := cur.Value.Value(vars)
	if err != nil {
		return nil, "", true, apierr.New(apierr.ValidationFailed, err.Error()).WithPath(path + ".args.cursor")
	}
	list, isList := cv.([]any)
	if !isList {
		list = []any{cv}
	}
	if len(list) != 1 {
		return nil, "", true, apierr.New(apierr.ValidationFailed, "one cursor is expected").WithPath(path + ".args.cursor")
	}
	c, _ := list[0].(map[string]any)
	initial, _ := c["initial_value"].(map[string]any)
	if len(initial) != 1 {
		return nil, "", true, apierr.New(apierr.ValidationFailed, "the cursor's initial_value must name exactly one column").WithPath(path + ".args.cursor")
	}
	var col string
	var start any
	for k, v := range initial {
		col, start = k, v
	}
	cmp, dir := "_gt", "asc"
	if o, _ := c["ordering"].(string); o == "DESC" {
		cmp, dir = "_lt", "desc"
	}
	colType := ""
	if vt := sc.AST.Types[rf.Table.TypeName("_stream_cursor_value_input")]; vt != nil {
		if fd := vt.Fields.ForName(col); fd != nil {
			colType = fd.Type.Name()
		}
	}
	if colType == "" {
		return nil, "", true, apierr.New(apierr.ValidationFailed, fmt.Sprintf("%q is not a cursor column", col)).WithPath(path + ".args.cursor")
	}

	cond := object(col, object(cmp, &ast.Value{Kind: ast.Variable, Raw: streamCursor}))
	where := cond
	if w := f.Arguments.ForName("where"); w != nil {
		where = object("_and", &ast.Value{Kind: ast.ListValue, Children: ast.ChildValueList{{Value: w.Value}, {Value: cond}}})
	}
	nf := &ast.Field{
		Alias: f.Alias,
		Name:  selectName,
		Arguments: ast.ArgumentList{
			{Name: "where", Value: where},
			{Name: "order_by", Value: object(col, &ast.Value{Kind: ast.EnumValue, Raw: dir})},
			{Name: "limit", Value: batch.Value},
		},
		Directives:   f.Directives,
		SelectionSet: append(ast.SelectionSet{&ast.Field{Alias: streamCursor, Name: col}}, f.SelectionSet...),
	}
	nop := *op
	nop.SelectionSet = ast.SelectionSet{nf}
	doc := &ast.QueryDocument{Operations: ast.OperationList{&nop}, Fragments: fragments(op.SelectionSet)}
	// Variables only the cursor argument used are gone with it.
	used := usedVariables(doc, &nop)
	nop.VariableDefinitions = nil
	for _, d := range op.VariableDefinitions {
		if used[d.Variable] {
			nop.VariableDefinitions = append(nop.VariableDefinitions, d)
		}
	}
	nop.VariableDefinitions = append(nop.VariableDefinitions, &ast.VariableDefinition{Variable: streamCursor, Type: ast.NamedType(colType, nil)})
	var text bytes.Buffer
	formatter.NewFormatter(&text).FormatQueryDocument(doc)

	nr = &request{Query: text.String(), OperationName: r.OperationName, Variables: map[string]json.RawMessage{}}
	for k, v := range r.Variables {
		if used[k] {
			nr.Variables[k] = v
		}
	}
	b, err := json.Marshal(start)
	if err != nil {
		return nil, "", true, apierr.New(apierr.ValidationFailed, "invalid cursor value").WithPath(path + ".args.cursor")
	}
	nr.Variables[streamCursor] = b
	return nr, f.Alias, true, nil
}

// object is the GraphQL object value {name: v}.
func object(name string, v *ast.Value) *ast.Value {
	return &ast.Value{Kind: ast.ObjectValue, Children: ast.ChildValueList{{Name: name, Value: v}}}
}

// fragments lists the fragment definitions a selection set spreads,
// directly or through other fragments.
func fragments(ss ast.SelectionSet) ast.FragmentDefinitionList {
	var out ast.FragmentDefinitionList
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(ss ast.SelectionSet) {
		for _, s := range ss {
			switch x := s.(type) {
			case *ast.Field:
				walk(x.SelectionSet)
			case *ast.InlineFragment:
				walk(x.SelectionSet)
			case *ast.FragmentSpread:
				if x.Definition != nil && !seen[x.Name] {
					seen[x.Name] = true
					out = append(out, x.Definition)
					walk(x.Definition.SelectionSet)
				}
			}
		}
	}
	walk(ss)
	return out
}

// Streaming reports whether l is a streaming subscription (<table>_stream).
func (l *Live) Streaming() bool { return l.stream != nil }

// Advance takes a poll's response body for this subscriber and returns
// the body to send it. For a streaming subscription it moves the cursor
// past the batch's last row (so the next poll reads the rows after it) and
// removes the cursor column from the rows; a live query's body is returned
// as it is. Advance must not run concurrently with a Poll using l.Args.
func (l *Live) Advance(body []byte) []byte {
	st := l.stream
	if st == nil {
		return body
	}
	var top struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return body
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(top.Data[st.alias], &rows); err != nil || len(rows) == 0 {
		return body
	}
	var out bytes.Buffer
	out.WriteString(`{"data":{`)
	writeString(&out, st.alias)
	out.WriteString(":[")
	var last json.RawMessage
	for i, row := range rows {
		cursor, rest, ok := splitFirst(row)
		if !ok {
			return body
		}
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(rest)
		last = cursor
	}
	out.WriteString("]}}")
	dec := json.NewDecoder(bytes.NewReader(last))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || v == nil {
		return out.Bytes()
	}
	st.vars[streamCursor] = v
	for i, stmt := range l.Query.c.stmts {
		if stmt == nil {
			continue
		}
		if args, err := sqlgen.Args(stmt.Params, st.vars, st.sess); err == nil {
			l.Args[i] = args
		}
	}
	return out.Bytes()
}

// splitFirst splits a JSON object into the value of its first member and
// the object without that member.
func splitFirst(obj json.RawMessage) (first json.RawMessage, rest []byte, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, false
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, false
	}
	if err := dec.Decode(&first); err != nil {
		return nil, nil, false
	}
	tail := strings.TrimLeft(string(obj[dec.InputOffset():]), " \t\r\n")
	tail = strings.TrimPrefix(tail, ",")
	return first, append([]byte{'{'}, strings.TrimLeft(tail, " \t\r\n")...), true
}
