package pbjson

import (
	"bytes"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	segjson "github.com/segmentio/encoding/json"
)

// decodeLexer walks the tokens of a JSON text with one token of
// lookahead. Tokens come from segmentio's tokenizer, which finds them
// eight bytes at a time but leaves two checks to its caller: the grammar
// around delimiters (the reader expects ':' and ',' where JSON puts them)
// and the validity of strings, which tokens do here: UTF-8, and escapes,
// which jsontext unquotes strictly.
type decodeLexer struct {
	tok  segjson.Tokenizer
	data []byte
	// cur is the current token (a delimiter, or a whole scalar), nil at
	// the end of the input or after a syntax error.
	cur []byte
	// k is the kind of cur (see kind).
	k byte
}

func (l *decodeLexer) reset(data []byte) {
	l.tok.Reset(data)
	l.data = data
	l.next()
}

// release gives the tokenizer's stack back to its pool when the input was
// not read to its end (the tokenizer gives it back itself at the end).
func (l *decodeLexer) release() {
	if l.cur != nil || l.tok.Err != nil {
		l.tok.Reset(nil)
	}
}

// next moves to the next token.
func (l *decodeLexer) next() {
	if !l.tok.Next() {
		l.cur, l.k = nil, 0
		return
	}
	l.cur = l.tok.Value
	l.k = kindOf(l.cur)
}

// kind is the first byte of the current token, '0' for any number, and 0
// at the end or after an error.
func (l *decodeLexer) kind() byte { return l.k }

// atEnd reports whether the input ended cleanly after the current token.
func (l *decodeLexer) atEnd() bool {
	return l.cur == nil && l.tok.Err == nil
}

// start is where the current token starts in data.
func (l *decodeLexer) start() int {
	// cur lies in data: both end where data's array ends.
	return cap(l.data) - cap(l.cur)
}

// plainString reports whether the current token, a string, is printable
// ASCII without a backslash: its contents are its text, with nothing to
// check. The tokenizer has found it so, for the whole input at once or
// for the string.
func (l *decodeLexer) plainString() bool {
	return l.tok.Kind() == segjson.Unescaped
}

// unquote returns the contents of the current token, a JSON string,
// checked as protojson checks strings: the token's own bytes when it
// holds no escapes and is valid UTF-8, or else its unescaped text in buf.
// It fails for invalid text.
func (l *decodeLexer) unquote(buf *[]byte) ([]byte, bool) {
	raw := l.cur
	inner := raw[1 : len(raw)-1]
	if l.plainString() {
		return inner, true
	}
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, utf8.Valid(inner)
	}
	var err error
	*buf, err = jsontext.AppendUnquote((*buf)[:0], raw)
	return *buf, err == nil
}

// skip moves past the value at the current token, checking it as protojson
// checks a value it skips: valid JSON whose objects and arrays nest no
// deeper than limit. It returns where the value ends in data.
func (l *decodeLexer) skip(limit int, buf *[]byte) (end int, ok bool) {
	if !l.skipValue(0, limit, buf) {
		return 0, false
	}
	end = l.start() + len(l.cur)
	l.next()
	return end, true
}

// skipValue checks the value at the current token and stops at its last
// token.
func (l *decodeLexer) skipValue(open, limit int, buf *[]byte) bool {
	switch l.kind() {
	case '"':
		if _, ok := l.unquote(buf); !ok {
			return false
		}
	case '0':
		if !isJSONNumber(l.cur) {
			return false
		}
	case 't', 'f', 'n':
		// The tokenizer reads exactly true, false and null.
	case '{', '[':
		closing := byte('}')
		if l.kind() == '[' {
			closing = ']'
		}
		if open++; open > limit {
			return false
		}
		l.next()
		if l.kind() == closing {
			break
		}
		for {
			if closing == '}' {
				if l.kind() != '"' {
					return false
				}
				if _, ok := l.unquote(buf); !ok {
					return false
				}
				l.next()
				if l.kind() != ':' {
					return false
				}
				l.next()
			}
			if !l.skipValue(open, limit, buf) {
				return false
			}
			l.next()
			if l.kind() == closing {
				break
			}
			if l.kind() != ',' {
				return false
			}
			l.next()
		}
	default:
		return false
	}
	return true
}
