package config

import (
	"reflect"
	"slices"
)

func reflectOf(cfg *Config) reflect.Value { return reflect.ValueOf(cfg).Elem() }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
