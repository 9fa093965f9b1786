package openapi

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// comment returns the comment of d in its .proto source: the leading
// comment, or else the trailing one, with the comment markers' indentation
// removed. It is empty when the descriptors carry no source information
// (descriptors compiled into Go programs, and so most server reflection, do
// not; protocompile and `buf build` keep it).
func comment(d protoreflect.Descriptor) string {
	loc := d.ParentFile().SourceLocations().ByDescriptor(d)
	text := loc.LeadingComments
	if strings.TrimSpace(text) == "" {
		text = loc.TrailingComments
	}
	return cleanComment(text)
}

// cleanComment removes the one space after each line's comment marker and
// surrounding blank lines.
func cleanComment(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.TrimPrefix(l, " "), " \t\r")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// summary returns the first sentence of a comment, on one line, or "".
func summary(text string) string {
	para, _, _ := strings.Cut(text, "\n\n")
	para = strings.Join(strings.Fields(para), " ")
	if i := strings.Index(para, ". "); i >= 0 {
		para = para[:i+1]
	}
	return para
}
