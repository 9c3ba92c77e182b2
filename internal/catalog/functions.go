package catalog

import (
	"context"
	"fmt"
)

// funcRow is one row of functions.sql.
type funcRow struct {
	oid          uint32
	name         QName
	description  string
	retSet       bool
	retType      uint32
	volatility   string
	variadic     bool
	nDefaults    int16
	argTypes     []uint32
	allArgTypes  []uint32
	argModes     []string
	argNames     []string
	returnsTable bool
}

func scanFunctions(ctx context.Context, q Querier, args []any) ([]funcRow, error) {
	rows, err := q.Query(ctx, query("functions"), args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: functions: %w", err)
	}
	defer rows.Close()
	var out []funcRow
	for rows.Next() {
		var f funcRow
		if err := rows.Scan(&f.oid, &f.name.Schema, &f.name.Name, &f.description, &f.retSet, &f.retType,
			&f.volatility, &f.variadic, &f.nDefaults, &f.argTypes, &f.allArgTypes, &f.argModes,
			&f.argNames, &f.returnsTable); err != nil {
			return nil, fmt.Errorf("catalog: functions: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: functions: %w", err)
	}
	return out, nil
}

func (f funcRow) wantTypes(r *resolver) {
	r.want(f.retType)
	for _, t := range f.argTypes {
		r.want(t)
	}
}

// inputArgs pairs input argument names with their types: proargtypes lists
// input arguments only, while proargnames follows proallargtypes when the
// function has OUT arguments.
func (f funcRow) inputArgs() (names []string, types []uint32, hasOut bool) {
	if f.argModes == nil {
		names = make([]string, len(f.argTypes))
		for i := range f.argTypes {
			if i < len(f.argNames) {
				names[i] = f.argNames[i]
			}
		}
		return names, f.argTypes, false
	}
	for i, m := range f.argModes {
		switch m {
		case "i", "b", "v":
			name := ""
			if i < len(f.argNames) {
				name = f.argNames[i]
			}
			names = append(names, name)
			if i < len(f.allArgTypes) {
				types = append(types, f.allArgTypes[i])
			}
		}
		if m == "o" || m == "b" || m == "t" {
			hasOut = true
		}
	}
	return names, types, hasOut
}

var volatilities = map[string]Volatility{"v": Volatile, "s": Stable, "i": Immutable}

func (f funcRow) function(r *resolver) *Function {
	names, types, hasOut := f.inputArgs()
	ret := r.columnType(f.retType)
	fn := &Function{
		Name:         f.name,
		OID:          f.oid,
		Description:  f.description,
		ReturnType:   QName{Schema: ret.Schema, Name: ret.UDT},
		ReturnsSet:   f.retSet,
		ReturnsTable: f.returnsTable,
		Volatility:   volatilities[f.volatility],
		HasVariadic:  f.variadic,
		Return:       ret,
		HasOutArgs:   hasOut,
		Args:         make([]FunctionArg, len(types)),
	}
	firstDefault := len(types) - int(f.nDefaults)
	for i, t := range types {
		fn.Args[i] = FunctionArg{Name: names[i], Type: r.columnType(t), HasDefault: i >= firstDefault}
	}
	return fn
}
