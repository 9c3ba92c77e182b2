package pgdump

import (
	"bytes"
	"io"
	"strings"
)

// preamble lists the statements pg_dump puts at the top of a plain dump
// that clean output drops (besides every SET statement and the psql
// \restrict and \unrestrict lines of pg_dump 17.6, 16.10, 15.14 and later,
// which run_sql could not execute).
var preamble = map[string]bool{
	"SELECT pg_catalog.set_config('search_path', '', false);": true,
	"CREATE SCHEMA public;":                                   true,
	"COMMENT ON SCHEMA public IS 'standard public schema';":   true,
}

// cleaner filters a plain-format dump as it streams: it drops comment
// lines, empty lines and the SET preamble between statements, and whole
// statements that concern hdb_catalog (Hasura's own schema and the event
// trigger triggers that call into it). Lines inside quoted strings, dollar
// quoted bodies and COPY data pass unchanged.
type cleaner struct {
	w       io.Writer
	partial []byte   // an incomplete line
	stmt    []string // lines of the statement being read
	header  strings.Builder
	inQuote bool   // inside '...'
	dollar  string // the open dollar-quote tag, or ""
	inCopy  bool   // inside COPY ... FROM stdin data
	err     error
}

func (c *cleaner) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.partial = append(c.partial, p...)
			break
		}
		line := string(append(c.partial, p[:i]...))
		c.partial = c.partial[:0]
		p = p[i+1:]
		if err := c.line(line); err != nil {
			c.err = err
			return 0, err
		}
	}
	return n, nil
}

// Close handles a last line without a newline and writes what is left of
// an unfinished statement.
func (c *cleaner) Close() error {
	if c.err != nil {
		return c.err
	}
	if len(c.partial) > 0 {
		if err := c.line(string(c.partial)); err != nil {
			return err
		}
		c.partial = nil
	}
	if len(c.stmt) > 0 {
		return c.flush(true)
	}
	return nil
}

func (c *cleaner) line(l string) error {
	if c.inCopy {
		c.stmt = append(c.stmt, l)
		if l == `\.` {
			c.inCopy = false
			return c.flush(false)
		}
		return nil
	}
	between := len(c.stmt) == 0 && !c.inQuote && c.dollar == ""
	if between {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "--") || preamble[t] ||
			(strings.HasPrefix(t, "SET ") && strings.HasSuffix(t, ";")) ||
			strings.HasPrefix(t, `\restrict `) || strings.HasPrefix(t, `\unrestrict `) {
			return nil
		}
		if strings.HasPrefix(t, `\`) { // another psql meta-command: a line of its own
			_, err := io.WriteString(c.w, l+"\n")
			return err
		}
	}
	c.stmt = append(c.stmt, l)
	c.scan(l)
	if c.inQuote || c.dollar != "" || !strings.HasSuffix(strings.TrimRight(l, " \t\r"), ";") {
		return nil
	}
	if strings.HasPrefix(c.stmt[0], "COPY ") && strings.HasSuffix(strings.TrimSpace(l), "FROM stdin;") {
		c.inCopy = true
		return nil
	}
	return c.flush(false)
}

// scan follows single quotes and dollar quotes through a line, recording
// the statement's text outside string literals and dollar-quoted bodies in
// header.
func (c *cleaner) scan(l string) {
	for i := 0; i < len(l); i++ {
		ch := l[i]
		switch {
		case c.dollar != "":
			if strings.HasPrefix(l[i:], c.dollar) {
				i += len(c.dollar) - 1
				c.dollar = ""
			}
			continue
		case c.inQuote:
			if ch == '\'' {
				c.inQuote = false
			}
			continue // string literals name no objects
		case ch == '\'':
			c.inQuote = true
			continue
		case ch == '-' && strings.HasPrefix(l[i:], "--"):
			i = len(l) // a comment to the end of the line
			continue
		case ch == '$':
			if tag := dollarTag(l[i:]); tag != "" {
				c.dollar = tag
				i += len(tag) - 1
				continue
			}
		}
		c.header.WriteByte(ch)
	}
	c.header.WriteByte('\n')
}

// dollarTag returns the dollar-quote opener at the start of s ($$ or
// $tag$), or "".
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		ch := s[j]
		if ch == '$' {
			return s[:j+1]
		}
		if !(ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || j > 1 && ch >= '0' && ch <= '9') {
			return ""
		}
	}
	return ""
}

// flush writes the statement read so far unless it concerns hdb_catalog.
func (c *cleaner) flush(partial bool) error {
	stmt, header := c.stmt, c.header.String()
	c.stmt, c.inQuote, c.dollar = c.stmt[:0], false, ""
	c.header.Reset()
	if !partial && (strings.Contains(header, "hdb_catalog") ||
		// a sequence named by a regclass literal
		strings.HasPrefix(stmt[0], "SELECT pg_catalog.setval('hdb_catalog.")) {
		return nil
	}
	var b strings.Builder
	for _, l := range stmt {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(c.w, b.String())
	return err
}
