package engine

import (
	"errors"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/schema"
)

// introspect answers root field i of a prepared request (__schema or
// __type) from the role's schema. Operations without variables get the
// same answer every time, so it is kept with the compiled plan.
func (e *Engine) introspect(p *prepared, i int) ([]byte, error) {
	cacheable := len(p.op.VariableDefinitions) == 0
	if cacheable {
		if b := p.c.intro(i); b != nil {
			return b, nil
		}
	}
	b, err := schema.Introspect(p.schema.AST, p.c.plan.Fields[i].Introspect, p.vars)
	if err != nil {
		var ie *schema.IntrospectionError
		if errors.As(err, &ie) {
			return nil, apierr.New(apierr.ValidationFailed, ie.Error()).WithPath(p.c.plan.Fields[i].Path)
		}
		return nil, err
	}
	if cacheable {
		p.c.setIntro(i, b)
	}
	return b, nil
}
