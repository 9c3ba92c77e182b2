package catalog

// Less orders names by schema, then name.
func (q QName) Less(o QName) bool {
	if q.Schema != o.Schema {
		return q.Schema < o.Schema
	}
	return q.Name < o.Name
}

// Table returns the relation named n, or nil.
func (c *Catalog) Table(n QName) *Table { return c.Tables[n] }

// FunctionsByName returns the overloads of the function named n (nil when none).
func (c *Catalog) FunctionsByName(n QName) []*Function { return c.Functions[n] }

// Type returns the user-defined type named n, or nil.
func (c *Catalog) Type(n QName) *Type { return c.Types[n] }

// EnumValues returns the labels of the enum type named n in their declared
// order, or nil when n is not an enum.
func (c *Catalog) EnumValues(n QName) []string {
	if t := c.Types[n]; t != nil && t.Kind == 'e' {
		return t.EnumValues
	}
	return nil
}

// SortedTables returns every relation ordered by schema and name.
func (c *Catalog) SortedTables() []*Table {
	out := make([]*Table, 0, len(c.Tables))
	for _, n := range sortedNames(c.Tables) {
		out = append(out, c.Tables[n])
	}
	return out
}

// SortedFunctions returns every function ordered by schema and name;
// overloads keep their oid order.
func (c *Catalog) SortedFunctions() []*Function {
	var out []*Function
	for _, n := range sortedNames(c.Functions) {
		out = append(out, c.Functions[n]...)
	}
	return out
}

// ReferencingKeys returns the foreign keys of any relation that reference
// the relation named n, ordered by table then constraint name.
func (c *Catalog) ReferencingKeys(n QName) []*ForeignKey {
	var out []*ForeignKey
	for _, tn := range sortedNames(c.Tables) {
		for _, fk := range c.Tables[tn].ForeignKeys {
			if fk.RefTable == n {
				out = append(out, fk)
			}
		}
	}
	return out
}

// ForeignKey returns the table's foreign key named name, or nil.
func (t *Table) ForeignKey(name string) *ForeignKey {
	for _, fk := range t.ForeignKeys {
		if fk.Name == name {
			return fk
		}
	}
	return nil
}

// UniqueKeys returns the primary key (when any) followed by the unique
// constraints and indexes: the constraints an upsert can name.
func (t *Table) UniqueKeys() []*Constraint {
	var out []*Constraint
	if t.PrimaryKey != nil {
		out = append(out, t.PrimaryKey)
	}
	return append(out, t.Uniques...)
}

// Clone returns a copy of c whose maps can be changed without affecting c.
// Tables, functions and types are shared: treat them as read-only.
func (c *Catalog) Clone() *Catalog {
	n := *c
	n.Tables = make(map[QName]*Table, len(c.Tables))
	for k, v := range c.Tables {
		n.Tables[k] = v
	}
	n.Functions = make(map[QName][]*Function, len(c.Functions))
	for k, v := range c.Functions {
		n.Functions[k] = v
	}
	n.Types = make(map[QName]*Type, len(c.Types))
	for k, v := range c.Types {
		n.Types[k] = v
	}
	n.Extensions = make(map[string]string, len(c.Extensions))
	for k, v := range c.Extensions {
		n.Extensions[k] = v
	}
	return &n
}
