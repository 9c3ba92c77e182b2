package schema

import "github.com/vektah/gqlparser/v2/ast"

// boolExpType declares <t>_bool_exp: the role's columns, relationships,
// aggregate predicates and computed fields without arguments of their own,
// with _and/_or/_not.
func (b *builder) boolExpType(t *Table) string {
	name := t.TypeName("_bool_exp")
	return b.frame(fBoolExp, t, name, func() string {
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name,
			Description: `Boolean expression to filter rows from the table "` + t.QuotedName + `". All fields are combined with a logical 'AND'.`})
		d.Fields = ast.FieldList{
			field("_and", listOf(nonNull(name)), ""),
			field("_not", named(name), ""),
			field("_or", listOf(nonNull(name)), ""),
		}
		for _, f := range b.selectableColumns(t) {
			d.Fields = append(d.Fields, field(f.Name, named(b.comparisonExp(f)), ""))
		}
		for _, r := range b.relationships(t) {
			if r.Target == nil {
				continue
			}
			d.Fields = append(d.Fields, field(r.Name, named(b.boolExpType(r.Target)), ""))
			if !r.Object && r.Target.aggregatable() {
				d.Fields = append(d.Fields, field(r.Name+"_aggregate", named(b.aggregateBoolExpType(r.Target)), ""))
			}
		}
		for _, c := range b.computed(t) {
			if hasExtraArgs(c) {
				continue
			}
			if c.Returns != nil {
				d.Fields = append(d.Fields, field(c.Name, named(b.boolExpType(c.Returns)), ""))
			} else {
				d.Fields = append(d.Fields, field(c.Name, named(b.scalarComparisonExp(b.scalar(scalarName(c.ReturnType)))), ""))
			}
		}
		return name
	})
}

// hasExtraArgs reports whether a computed field's function takes arguments
// besides the row and the session.
func hasExtraArgs(c *Computed) bool {
	for i := range c.Function.Args {
		if i != c.TableArgIndex && i != c.SessionArgIndex {
			return true
		}
	}
	return false
}

// comparisonExp declares the comparison input of a column field.
func (b *builder) comparisonExp(f *Field) string {
	if f.EnumTable != nil {
		return b.enumComparisonExp(f.EnumTable)
	}
	return b.scalarComparisonExp(b.scalar(f.Type))
}

// enumComparisonExp declares the comparison input of the enum of enum
// table et.
func (b *builder) enumComparisonExp(et *Table) string {
	defer b.shared(opEnumCmp, "", &et.Name)()
	en := b.enumType(et)
	name := en + "_comparison_exp"
	if b.types[name] == nil {
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name, Description: comparisonDesc(en)})
		d.Fields = equalityOps(en)
	}
	return name
}

// comparisonDesc is the description of <T>_comparison_exp.
func comparisonDesc(t string) string {
	return `Boolean expression to compare columns of type "` + t + `". All fields are combined with logical 'AND'.`
}

// equalityOps are the operators every type has.
func equalityOps(t string) ast.FieldList {
	return ast.FieldList{
		field("_eq", named(t), ""),
		field("_in", listOf(nonNull(t)), ""),
		field("_is_null", named("Boolean"), ""),
		field("_neq", named(t), ""),
		field("_nin", listOf(nonNull(t)), ""),
	}
}

// scalarComparisonExp declares <Scalar>_comparison_exp with Hasura's
// operators for the scalar.
func (b *builder) scalarComparisonExp(s string) string {
	defer b.shared(opScalarCmp, s, nil)()
	name := s + "_comparison_exp"
	if b.types[name] != nil {
		return name
	}
	d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name, Description: comparisonDesc(s)})
	d.Fields = equalityOps(s)
	d.Fields = append(d.Fields,
		field("_gt", named(s), ""), field("_gte", named(s), ""),
		field("_lt", named(s), ""), field("_lte", named(s), ""))
	k := kindOf(s)
	switch {
	case k.str:
		d.Fields = append(d.Fields,
			field("_like", named(s), "does the column match the given pattern"),
			field("_nlike", named(s), "does the column NOT match the given pattern"),
			field("_ilike", named(s), "does the column match the given case-insensitive pattern"),
			field("_nilike", named(s), "does the column NOT match the given case-insensitive pattern"),
			field("_similar", named(s), "does the column match the given SQL regular expression"),
			field("_nsimilar", named(s), "does the column NOT match the given SQL regular expression"),
			field("_regex", named(s), "does the column match the given POSIX regular expression, case sensitive"),
			field("_iregex", named(s), "does the column match the given POSIX regular expression, case insensitive"),
			field("_nregex", named(s), "does the column NOT match the given POSIX regular expression, case sensitive"),
			field("_niregex", named(s), "does the column NOT match the given POSIX regular expression, case insensitive"),
		)
	case k.jsonb:
		d.Fields = append(d.Fields,
			field("_cast", named(b.castExp(s, "String")), ""),
			field("_contains", named(s), "does the column contain the given json value at the top level"),
			field("_contained_in", named(s), "is the column contained in the given json value"),
			field("_has_key", named("String"), "does the string exist as a top-level key in the column"),
			field("_has_keys_any", listOf(nonNull("String")), "do any of these strings exist as top-level keys in the column"),
			field("_has_keys_all", listOf(nonNull("String")), "do all of these strings exist as top-level keys in the column"),
		)
	case k.geography:
		d.Fields = append(d.Fields,
			field("_cast", named(b.castExp(s, b.scalar("geometry"))), ""),
			field("_st_intersects", named(s), "does the column spatially intersect the given geography value"),
			field("_st_d_within", named(b.dWithinGeography()), "is the column within a given distance from the given geography value"),
		)
	case k.geometry:
		d.Fields = append(d.Fields,
			field("_cast", named(b.castExp(s, b.scalar("geography"))), ""),
			field("_st_contains", named(s), "does the column contain the given geometry value"),
			field("_st_crosses", named(s), "does the column cross the given geometry value"),
			field("_st_equals", named(s), "is the column equal to given geometry value (directionality is ignored)"),
			field("_st_overlaps", named(s), "does the column 'spatially overlap' (intersect but not completely contain) the given geometry value"),
			field("_st_touches", named(s), "does the column have atleast one point in common with the given geometry value"),
			field("_st_within", named(s), "is the column contained in the given geometry value"),
			field("_st_intersects", named(s), "does the column spatially intersect the given geometry value"),
			field("_st_3d_intersects", named(s), "does the column spatially intersect the given geometry value in 3D"),
			field("_st_d_within", named(b.dWithinGeometry()), "is the column within a given distance from the given geometry value"),
			field("_st_3d_d_within", named(b.dWithinGeometry()), "is the column within a given 3D distance from the given geometry value"),
		)
	}
	return name
}

// castExp declares <from>_cast_exp with one field comparing as type to.
func (b *builder) castExp(from, to string) string {
	name := from + "_cast_exp"
	if b.types[name] == nil {
		d := b.add(&ast.Definition{Kind: ast.InputObject, Name: name})
		d.Fields = ast.FieldList{field(to, named(b.scalarComparisonExp(to)), "")}
	}
	return name
}

// dWithinGeometry declares st_d_within_input.
func (b *builder) dWithinGeometry() string {
	if b.types["st_d_within_input"] == nil {
		b.add(&ast.Definition{Kind: ast.InputObject, Name: "st_d_within_input", Fields: ast.FieldList{
			field("distance", nonNull("Float"), ""),
			field("from", nonNull(b.scalar("geometry")), ""),
		}})
	}
	return "st_d_within_input"
}

// dWithinGeography declares st_d_within_geography_input.
func (b *builder) dWithinGeography() string {
	if b.types["st_d_within_geography_input"] == nil {
		useSpheroid := field("use_spheroid", named("Boolean"), "")
		useSpheroid.DefaultValue = &ast.Value{Kind: ast.BooleanValue, Raw: "true"}
		b.add(&ast.Definition{Kind: ast.InputObject, Name: "st_d_within_geography_input", Fields: ast.FieldList{
			field("distance", nonNull("Float"), ""),
			field("from", nonNull(b.scalar("geography")), ""),
			useSpheroid,
		}})
	}
	return "st_d_within_geography_input"
}
