package main

// The "keys" mode prints, as JSON, every configuration key each component of this build
// decodes, nested, read by reflection from the struct its factory's default config fills.
// otelkit's `collector check` compares configs against that table instead of a hand-kept
// list, so a new collector version updates the checker with one command:
// `make collector-keys`.

import (
	"encoding"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/otelcol"
)

// node describes what one configuration value may hold.
type node struct {
	// Kind is "struct", "map", "list" or a scalar: bool, int, uint, float, string,
	// duration, text (decoded from a string by the type itself), any.
	Kind string `json:"kind"`
	// Keys of a struct; Open says it also takes keys it does not list (a ",remain" field).
	Keys map[string]*node `json:"keys,omitempty"`
	Open bool             `json:"open,omitempty"`
	// Item is the value of each map entry or list element, or of an open struct's other keys.
	Item *node `json:"item,omitempty"`
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	textType     = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
	ownType      = reflect.TypeOf((*confmap.Unmarshaler)(nil)).Elem()
)

func describe(t reflect.Type, seen map[reflect.Type]bool) *node {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType {
		return &node{Kind: "duration"}
	}
	if reflect.PointerTo(t).Implements(textType) {
		return &node{Kind: "text"}
	}
	if t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(ownType) {
		return &node{Kind: "any"} // decodes itself (a map or a list of pairs, say)
	}
	if seen[t] { // a recursive type: accept what lies below
		return &node{Kind: "any"}
	}
	switch t.Kind() {
	case reflect.Struct:
		if optional(t) {
			inner := describe(t.Field(0).Type, seen)
			if inner.Kind == "struct" { // configoptional takes `enabled` beside the value's keys
				inner.Keys["enabled"] = &node{Kind: "bool"}
			}
			return inner
		}
		seen[t] = true
		defer delete(seen, t)
		out := &node{Kind: "struct", Keys: map[string]*node{}}
		fields(t, out, seen)
		return out
	case reflect.Map:
		return &node{Kind: "map", Item: describe(t.Elem(), seen)}
	case reflect.Slice, reflect.Array:
		return &node{Kind: "list", Item: describe(t.Elem(), seen)}
	case reflect.Bool:
		return &node{Kind: "bool"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &node{Kind: "int"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &node{Kind: "uint"}
	case reflect.Float32, reflect.Float64:
		return &node{Kind: "float"}
	case reflect.String:
		return &node{Kind: "string"}
	default:
		return &node{Kind: "any"}
	}
}

// optional reports configoptional.Optional[T], whose value sits in an unexported field.
func optional(t reflect.Type) bool {
	return strings.HasSuffix(t.PkgPath(), "config/configoptional") &&
		strings.HasPrefix(t.Name(), "Optional[")
}

// fields adds a struct's keys the way confmap's mapstructure decoder names them.
func fields(t reflect.Type, out *node, seen map[reflect.Type]bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, has := f.Tag.Lookup("mapstructure")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case name == "-":
			continue
		case strings.Contains(opts, "squash") || (f.Anonymous && !has):
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				fields(ft, out, seen)
			}
			continue
		case strings.Contains(opts, "remain"): // takes every other key, each decoded as Item
			out.Open = true
			if f.Type.Kind() == reflect.Map {
				out.Item = describe(f.Type.Elem(), seen)
			}
			continue
		case !f.IsExported():
			continue
		}
		if name == "" {
			name = f.Name // mapstructure matches the field name itself
		}
		out.Keys[name] = describe(f.Type, seen)
	}
}

func dumpKeys() error {
	factories, err := components()
	if err != nil {
		return err
	}
	table := map[string]map[string]*node{}
	add := func(kind string, typ component.Type, cfg component.Config) {
		if table[kind] == nil {
			table[kind] = map[string]*node{}
		}
		table[kind][typ.String()] = describe(reflect.TypeOf(cfg), map[reflect.Type]bool{})
	}
	collect(factories, add)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	return enc.Encode(table) // map keys come out sorted: the table diffs cleanly
}

func collect(f otelcol.Factories, add func(string, component.Type, component.Config)) {
	for typ, fac := range f.Receivers {
		add("receivers", typ, fac.CreateDefaultConfig())
	}
	for typ, fac := range f.Processors {
		add("processors", typ, fac.CreateDefaultConfig())
	}
	for typ, fac := range f.Exporters {
		add("exporters", typ, fac.CreateDefaultConfig())
	}
	for typ, fac := range f.Extensions {
		add("extensions", typ, fac.CreateDefaultConfig())
	}
	for typ, fac := range f.Connectors {
		add("connectors", typ, fac.CreateDefaultConfig())
	}
}
