package sqlgen

// Explain returns the statement asking PostgreSQL for the plan of s, with
// the same parameters.
func Explain(s Statement) Statement {
	return Statement{SQL: "EXPLAIN " + s.SQL, Params: s.Params}
}
